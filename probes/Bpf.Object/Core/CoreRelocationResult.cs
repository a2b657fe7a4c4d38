namespace OsqueryBpf.Bpf.Object.Core;

/// <summary>A program's instructions after CO-RE relocation, and what happened to each relocation.</summary>
/// <param name="Instructions">A new instruction array; the input program is not modified.</param>
/// <param name="Fixups">One entry per relocation, in the order of <see cref="ProgramSpec.CoreRelocations"/>.</param>
public sealed record CoreRelocationResult(Instruction[] Instructions, IReadOnlyList<CoreFixup> Fixups)
{
    /// <summary>The poisoned relocations (the verifier refuses the program if any of them is reachable).</summary>
    public IEnumerable<CoreFixup> Poisoned => Fixups.Where(f => f.Poisoned);
}
