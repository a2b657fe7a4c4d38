namespace OsqueryBpf.Bpf.Object.Core;

/// <summary>The outcome of one CO-RE relocation.</summary>
/// <param name="Relocation">The relocation.</param>
/// <param name="LocalValue">The value the compiler put in the instruction (computed against local BTF).</param>
/// <param name="TargetValue">The value written into the instruction (valid unless poisoned).</param>
/// <param name="TargetTypeId">The matching target type id, or 0 when none matched.</param>
/// <param name="Poisoned">True when the instruction was replaced by a call to the invalid helper 0xbad2310.</param>
/// <param name="Reason">Why it was poisoned, or a note (such as "field missing: exists = 0"); null when nothing to say.</param>
public readonly record struct CoreFixup(
    CoreRelocation Relocation, ulong LocalValue, ulong TargetValue, int TargetTypeId, bool Poisoned, string? Reason)
{
    /// <inheritdoc />
    public override string ToString() => Poisoned
        ? $"insn {Relocation.InstructionIndex}: {Relocation.Kind} {Relocation.AccessString} POISONED: {Reason}"
        : $"insn {Relocation.InstructionIndex}: {Relocation.Kind} {Relocation.AccessString} {LocalValue} -> {TargetValue}" +
          (Reason is null ? "" : $" ({Reason})");
}
