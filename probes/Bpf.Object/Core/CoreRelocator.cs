using System.Globalization;
using OsqueryBpf.Bpf.Object.Btf;

namespace OsqueryBpf.Bpf.Object.Core;

/// <summary>
/// Applies CO-RE relocations: rewrites field offsets, sizes, existence checks, type ids and enum values that the
/// compiler computed against the object's own BTF so they match the target kernel's BTF.
/// </summary>
/// <remarks>
/// Candidates are the target types whose essential name (without a <c>___flavor</c> suffix) and kind match the
/// local root type. A field is found in a candidate by member names (through anonymous structs and unions) and
/// must be compatible on the way. Unsatisfiable relocations do not fail the load: existence checks become 0 and
/// everything else is poisoned, that is replaced by a call to helper 0xbad2310, which the verifier refuses only if
/// the instruction is reachable (as cilium/ebpf and libbpf do). Each <see cref="CoreFixup"/> says what happened.
/// </remarks>
public static class CoreRelocator
{
    /// <summary>
    /// Relocates <paramref name="program"/> (whose <see cref="ProgramSpec.CoreRelocations"/> refer to <paramref name="local"/>)
    /// against <paramref name="target"/>, returning new instructions; the program itself is not modified.
    /// </summary>
    /// <exception cref="BpfObjectException">A relocation record is malformed (bad type id, access string or instruction index).</exception>
    public static CoreRelocationResult Apply(ProgramSpec program, BtfSpec local, BtfSpec target)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(target);
        var instructions = (Instruction[])program.Instructions.Clone();
        var fixups = new List<CoreFixup>(program.CoreRelocations.Count);
        var candidates = new Dictionary<int, List<int>>();
        foreach (var relocation in program.CoreRelocations)
        {
            if ((uint)relocation.InstructionIndex >= (uint)instructions.Length)
                ThrowHelper.Throw($"The CO-RE relocation {relocation.Kind} '{relocation.AccessString}' of program '{program.Name}' points at instruction {relocation.InstructionIndex}, beyond its {instructions.Length} instructions.");
            Outcome outcome;
            try
            {
                outcome = Decide(relocation, local, target, candidates);
            }
            catch (BpfObjectException e)
            {
                var detail = e.Message.EndsWith('.') ? e.Message : e.Message + ".";
                throw new BpfObjectException($"The CO-RE relocation {relocation.Kind} '{relocation.AccessString}' at instruction {relocation.InstructionIndex} of program '{program.Name}' is malformed: {detail}", e);
            }
            fixups.Add(Patch(instructions, relocation, outcome));
        }
        return new CoreRelocationResult(instructions, fixups);
    }

    /// <summary>
    /// Relocates every program of <paramref name="spec"/> against <paramref name="target"/> and returns a relocated
    /// copy whose programs have no CO-RE relocations left (so applying twice is harmless); <paramref name="spec"/>
    /// is not modified. <paramref name="fixups"/> has the outcome per program name.
    /// </summary>
    /// <exception cref="BpfObjectException">A program has CO-RE relocations but the object has no BTF, or a record is malformed.</exception>
    public static CollectionSpec ApplyAll(CollectionSpec spec, BtfSpec target, out IReadOnlyDictionary<string, IReadOnlyList<CoreFixup>> fixups)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(target);
        var result = new Dictionary<string, IReadOnlyList<CoreFixup>>(StringComparer.Ordinal);
        var relocated = spec.Clone();
        foreach (var program in spec.Programs.Values)
        {
            if (program.CoreRelocations.Count == 0)
                continue;
            if (spec.Btf is null)
                ThrowHelper.Throw($"The program '{program.Name}' has CO-RE relocations but the object has no BTF.");
            var applied = Apply(program, spec.Btf, target);
            relocated.ReplaceProgram(program.WithInstructions(applied.Instructions, withCoreRelocations: false));
            result[program.Name] = applied.Fixups;
        }
        fixups = result;
        return relocated;
    }

    /// <summary>What to write for one relocation, before looking at the instruction.</summary>
    private readonly record struct Outcome(
        ulong Local, ulong Target, int TargetTypeId, bool Poison, string? Reason, bool SkipLocalValidation,
        uint LocalFieldSize = 0, uint TargetFieldSize = 0, bool TargetSizeAdjustable = false);

    private static bool IsExistenceCheck(CoreRelocationKind kind) =>
        kind is CoreRelocationKind.FieldExists or CoreRelocationKind.TypeExists or CoreRelocationKind.EnumValueExists or CoreRelocationKind.TypeMatches;

    private static Outcome NotFound(CoreRelocationKind kind, string reason) => IsExistenceCheck(kind)
        ? new Outcome(1, 0, 0, false, reason + ": existence check is 0", true)
        : new Outcome(0, 0, 0, true, reason, true);

    private static Outcome Decide(CoreRelocation relocation, BtfSpec local, BtfSpec target, Dictionary<int, List<int>> cache)
    {
        var access = ParseAccess(relocation.AccessString);
        var root = relocation.TypeId;
        if (root == 0)
            ThrowHelper.Throw("the root type is void");
        if (relocation.Kind == CoreRelocationKind.TypeIdLocal)
            return new Outcome((ulong)root, (ulong)root, 0, false, null, false);

        var rootName = local.NameBytes(root);
        if (rootName.IsEmpty)
            ThrowHelper.Throw($"the root type {root} is anonymous, so it cannot be matched by name");
        if (!cache.TryGetValue(root, out var candidates))
        {
            var localKind = local.GetKind(root);
            candidates = target.FindByEssentialName(rootName)
                .Where(id => CoreCompatibility.KindsMatch(localKind, target.GetKind(id)))
                .ToList();
            cache[root] = candidates;
        }
        var name = local.GetName(root);
        if (candidates.Count == 0)
            return NotFound(relocation.Kind, $"no type named '{BtfSpec.EssentialName(name)}' of kind {local.GetKind(root)} in the target");

        return relocation.Kind switch
        {
            CoreRelocationKind.FieldByteOffset or CoreRelocationKind.FieldByteSize or CoreRelocationKind.FieldExists or
            CoreRelocationKind.FieldSigned or CoreRelocationKind.FieldLShiftU64 or CoreRelocationKind.FieldRShiftU64 =>
                DecideField(relocation, access, local, target, candidates, name),
            CoreRelocationKind.TypeIdTarget or CoreRelocationKind.TypeExists or CoreRelocationKind.TypeSize or CoreRelocationKind.TypeMatches =>
                DecideType(relocation, access, local, target, candidates, name),
            CoreRelocationKind.EnumValueExists or CoreRelocationKind.EnumValue =>
                DecideEnum(relocation, access, local, target, candidates, name),
            _ => ThrowHelper.Throw<Outcome>($"unknown relocation kind {(uint)relocation.Kind}"),
        };
    }

    private static Outcome DecideField(CoreRelocation relocation, int[] access, BtfSpec local, BtfSpec target, List<int> candidates, string name)
    {
        var kind = relocation.Kind;
        var localField = CoreFieldLocator.Local(local, relocation.TypeId, access, relocation.AccessString);
        if (!TryFieldValue(kind, local, localField, out var localValue, out var localError))
            ThrowHelper.Throw($"the local field cannot be relocated: {localError}");
        TryFieldSize(local, localField, out var localSize);

        Outcome? chosen = null;
        var reasons = new List<string>();
        foreach (var candidate in candidates)
        {
            var targetField = CoreFieldLocator.Target(local, relocation.TypeId, target, candidate, access, relocation.AccessString, out var reason);
            if (targetField is not { } field)
            {
                reasons.Add(reason);
                continue;
            }
            if (!TryFieldValue(kind, target, field, out var targetValue, out var error))
            {
                reasons.Add(error);
                continue;
            }
            TryFieldSize(target, field, out var targetSize);
            var adjustable = target.GetKind(target.SkipQualifiers(field.TypeId)) is BtfKind.Int or BtfKind.Enum or BtfKind.Enum64 or BtfKind.Pointer;
            var outcome = new Outcome(localValue, targetValue, candidate, false, null,
                SkipLocalValidation: localField.IsBitfield || kind is CoreRelocationKind.FieldLShiftU64 or CoreRelocationKind.FieldRShiftU64,
                localField.IsBitfield ? 0 : localSize, field.IsBitfield ? 0 : targetSize, adjustable);
            if (chosen is { } previous && previous.Target != outcome.Target)
                return new Outcome(localValue, 0, 0, true, $"ambiguous: target types {previous.TargetTypeId} and {candidate} named '{BtfSpec.EssentialName(name)}' give {previous.Target} and {outcome.Target}", true);
            chosen ??= outcome;
        }
        return chosen ?? NotFound(kind, $"field '{relocation.AccessString}' of '{name}' not found in the target ({string.Join("; ", reasons)})");
    }

    private static Outcome DecideType(CoreRelocation relocation, int[] access, BtfSpec local, BtfSpec target, List<int> candidates, string name)
    {
        if (access.Length != 1 || access[0] != 0)
            ThrowHelper.Throw($"a type relocation has accessor '{relocation.AccessString}' instead of '0'");
        var kind = relocation.Kind;
        ulong localValue = kind switch
        {
            CoreRelocationKind.TypeIdTarget => (ulong)relocation.TypeId,
            CoreRelocationKind.TypeSize => local.TryGetTypeSize(relocation.TypeId, out var size) ? size : ThrowHelper.Throw<uint>($"local type '{name}' has no size"),
            _ => 1,
        };
        Outcome? chosen = null;
        foreach (var candidate in candidates)
        {
            var compatible = kind == CoreRelocationKind.TypeMatches
                ? CoreCompatibility.TypesMatch(local, relocation.TypeId, target, candidate)
                : CoreCompatibility.AreTypesCompatible(local, relocation.TypeId, target, candidate);
            if (!compatible)
                continue;
            ulong targetValue;
            switch (kind)
            {
                case CoreRelocationKind.TypeIdTarget:
                    targetValue = (ulong)candidate;
                    break;
                case CoreRelocationKind.TypeSize:
                    if (!target.TryGetTypeSize(candidate, out var size))
                        continue;
                    targetValue = size;
                    break;
                default:
                    targetValue = 1;
                    break;
            }
            var outcome = new Outcome(localValue, targetValue, candidate, false, null, false);
            if (chosen is { } previous && previous.Target != targetValue)
                return new Outcome(localValue, 0, 0, true, $"ambiguous: target types {previous.TargetTypeId} and {candidate} named '{BtfSpec.EssentialName(name)}' give {previous.Target} and {targetValue}", true);
            chosen ??= outcome;
        }
        return chosen ?? NotFound(kind, $"no type compatible with '{name}' in the target");
    }

    private static Outcome DecideEnum(CoreRelocation relocation, int[] access, BtfSpec local, BtfSpec target, List<int> candidates, string name)
    {
        var root = local.SkipQualifiers(relocation.TypeId);
        if (!CoreCompatibility.IsEnum(local.GetKind(root)))
            ThrowHelper.Throw($"an enum relocation's root type '{name}' is a {local.GetKind(root)}");
        if (access.Length != 1 || access[0] >= local.GetVlen(root))
            ThrowHelper.Throw($"enum accessor '{relocation.AccessString}' is out of range for '{name}' with {local.GetVlen(root)} values");
        var localEnumerator = local.GetEnumValue(root, access[0]);
        var essential = BtfSpec.EssentialName(localEnumerator.Name);
        var localValue = relocation.Kind == CoreRelocationKind.EnumValue ? (ulong)localEnumerator.Value : 1;
        Outcome? chosen = null;
        foreach (var candidate in candidates)
        {
            var targetEnum = target.SkipQualifiers(candidate);
            if (!CoreCompatibility.IsEnum(target.GetKind(targetEnum)))
                continue;
            var count = target.GetVlen(targetEnum);
            for (var i = 0; i < count; i++)
            {
                var value = target.GetEnumValue(targetEnum, i);
                if (BtfSpec.EssentialName(value.Name) != essential)
                    continue;
                var targetValue = relocation.Kind == CoreRelocationKind.EnumValue ? (ulong)value.Value : 1;
                if (chosen is { } previous && previous.Target != targetValue)
                    return new Outcome(localValue, 0, 0, true, $"ambiguous: enums {previous.TargetTypeId} and {candidate} give '{essential}' different values", true);
                chosen ??= new Outcome(localValue, targetValue, candidate, false, null, false);
                break;
            }
        }
        return chosen ?? NotFound(relocation.Kind, $"enumerator '{localEnumerator.Name}' of '{name}' not found in the target");
    }

    /// <summary>
    /// The value of a field relocation. For bitfields the load is the smallest power-of-two size (from the
    /// member's type size up to 8 bytes), aligned to itself, that covers the bits; the shifts isolate the bits in a
    /// u64 after a little-endian load of that size.
    /// </summary>
    private static bool TryFieldValue(CoreRelocationKind kind, BtfSpec btf, CoreField field, out ulong value, out string error)
    {
        value = 0;
        error = "";
        if (kind == CoreRelocationKind.FieldExists)
        {
            value = 1;
            return true;
        }
        var type = btf.SkipQualifiers(field.TypeId);
        if (kind == CoreRelocationKind.FieldSigned)
        {
            var typeKind = btf.GetKind(type);
            value = (CoreCompatibility.IsEnum(typeKind) && btf.GetKindFlag(type)) || (typeKind == BtfKind.Int && btf.GetInt(type).IsSigned) ? 1u : 0u;
            return true;
        }
        if (!btf.TryGetTypeSize(type, out var typeSize) || typeSize == 0)
        {
            error = "the field has no size";
            return false;
        }
        ulong byteSize = typeSize;
        ulong byteOffset;
        ulong bitSize;
        if (field.IsBitfield)
        {
            bitSize = field.BitfieldSize;
            byteOffset = field.BitOffset / 8 / byteSize * byteSize;
            while (field.BitOffset + bitSize - byteOffset * 8 > byteSize * 8)
            {
                if (byteSize >= 8)
                {
                    error = "the bitfield cannot be read with one load of 8 bytes or less";
                    return false;
                }
                byteSize *= 2;
                byteOffset = field.BitOffset / 8 / byteSize * byteSize;
            }
        }
        else
        {
            if (field.BitOffset % 8 != 0)
            {
                error = "the field is not byte-aligned";
                return false;
            }
            byteOffset = field.BitOffset / 8;
            bitSize = byteSize * 8;
        }
        switch (kind)
        {
            case CoreRelocationKind.FieldByteOffset:
                value = byteOffset;
                return true;
            case CoreRelocationKind.FieldByteSize:
                value = byteSize;
                return true;
            case CoreRelocationKind.FieldLShiftU64:
            case CoreRelocationKind.FieldRShiftU64:
                var end = field.BitOffset + bitSize - byteOffset * 8;
                if (bitSize > 64 || end > 64)
                {
                    error = "the field is wider than 64 bits, so it cannot be shifted within a u64";
                    return false;
                }
                value = kind == CoreRelocationKind.FieldLShiftU64 ? 64 - end : 64 - bitSize;
                return true;
            default:
                error = $"{kind} is not a field relocation";
                return false;
        }
    }

    private static bool TryFieldSize(BtfSpec btf, CoreField field, out uint size) =>
        btf.TryGetTypeSize(btf.SkipQualifiers(field.TypeId), out size);

    private static int[] ParseAccess(string accessString)
    {
        if (accessString.Length == 0 || accessString.Length > 256)
            ThrowHelper.Throw($"the accessor string '{accessString}' is empty or too long");
        var parts = accessString.Split(':');
        var result = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out result[i]))
                ThrowHelper.Throw($"the accessor string '{accessString}' has a bad index '{parts[i]}'");
        }
        return result;
    }

    private static CoreFixup Patch(Instruction[] instructions, CoreRelocation relocation, Outcome outcome)
    {
        var index = relocation.InstructionIndex;
        var instruction = instructions[index];
        CoreFixup Poison(string reason)
        {
            instructions[index] = Instruction.Poison;
            // Both halves of an ld_imm64, so the verifier reports the poison call, not an unknown opcode 0.
            if (instruction.IsLoadImm64 && index + 1 < instructions.Length)
                instructions[index + 1] = Instruction.Poison;
            return new CoreFixup(relocation, outcome.Local, 0, outcome.TargetTypeId, true, reason);
        }

        if (outcome.Poison)
            return Poison(outcome.Reason ?? "unsatisfiable");

        var target = outcome.Target;
        switch (instruction.Class)
        {
            case 0x01 or 0x02 or 0x03: // LDX, ST, STX
                if ((instruction.Opcode & 0xe0) != 0x60)
                    return Poison($"a {Describe(instruction)} instruction cannot carry a CO-RE relocation");
                if (!outcome.SkipLocalValidation && instruction.Offset != (long)outcome.Local)
                    return Poison($"the instruction has offset {instruction.Offset} but the local BTF gives {outcome.Local}");
                if (target > (ulong)short.MaxValue)
                    return Poison($"offset {target} does not fit in an instruction's 16-bit offset");
                var patched = instruction.WithOffset((short)target);
                if (relocation.Kind == CoreRelocationKind.FieldByteOffset && outcome.LocalFieldSize != 0 &&
                    outcome.TargetFieldSize != 0 && outcome.LocalFieldSize != outcome.TargetFieldSize)
                {
                    // The field changed size: adjust the access width when it loads/stores the whole field.
                    var accessSize = AccessSize(instruction);
                    var newSizeBits = SizeBits(outcome.TargetFieldSize);
                    if (accessSize != outcome.LocalFieldSize || !outcome.TargetSizeAdjustable || newSizeBits < 0)
                        return Poison($"the field changed size from {outcome.LocalFieldSize} to {outcome.TargetFieldSize} bytes and the {accessSize}-byte access cannot be adjusted");
                    patched = patched.WithOpcode((byte)((instruction.Opcode & ~0x18) | newSizeBits));
                }
                instructions[index] = patched;
                break;
            case 0x00: // LD: only ld_imm64
                if (!instruction.IsLoadImm64 || index + 1 >= instructions.Length)
                    return Poison($"a {Describe(instruction)} instruction cannot carry a CO-RE relocation");
                if (!outcome.SkipLocalValidation && (ulong)Instruction.ReadImm64(instructions, index) != outcome.Local)
                    return Poison($"the instruction loads {Instruction.ReadImm64(instructions, index)} but the local BTF gives {outcome.Local}");
                instructions[index] = instruction.WithImmediate((int)(uint)target);
                instructions[index + 1] = instructions[index + 1].WithImmediate((int)(uint)(target >> 32));
                break;
            case 0x04 or 0x07: // ALU, ALU64
                if ((instruction.Opcode & 0x08) != 0 || (instruction.Opcode & 0xf0) == 0xd0)
                    return Poison($"a {Describe(instruction)} instruction cannot carry a CO-RE relocation");
                if (!outcome.SkipLocalValidation && instruction.Immediate != (int)(long)outcome.Local)
                    return Poison($"the instruction has immediate {instruction.Immediate} but the local BTF gives {outcome.Local}");
                var signed = (long)target;
                if (signed > int.MaxValue || signed < int.MinValue)
                    return Poison($"value {target} does not fit in a 32-bit immediate");
                instructions[index] = instruction.WithImmediate((int)signed);
                break;
            default:
                return Poison($"a {Describe(instruction)} instruction cannot carry a CO-RE relocation");
        }
        return new CoreFixup(relocation, outcome.Local, target, outcome.TargetTypeId, false, outcome.Reason);
    }

    private static uint AccessSize(Instruction instruction) => (instruction.Opcode & 0x18) switch
    {
        0x00 => 4,
        0x08 => 2,
        0x10 => 1,
        _ => 8,
    };

    private static int SizeBits(uint size) => size switch
    {
        4 => 0x00,
        2 => 0x08,
        1 => 0x10,
        8 => 0x18,
        _ => -1,
    };

    private static string Describe(Instruction instruction) => $"opcode 0x{instruction.Opcode:x2}";
}
