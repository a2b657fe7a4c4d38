using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Bpf.Object.Core;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

/// <summary>
/// core.bpf.c relocated against testdata/target.btf. Expected values come from the layouts written in
/// testdata/target_btf.c (its comments give every offset).
/// </summary>
public class CoreRelocationTests
{
    private readonly CollectionSpec _spec = CollectionSpec.Parse(TestObjects.Core);
    private readonly BtfSpec _target = BtfSpec.Parse(TestObjects.TargetBtf);
    private readonly CoreRelocationResult _result;
    private readonly BtfSpec _local;

    public CoreRelocationTests()
    {
        _local = Assert.IsType<BtfSpec>(_spec.Btf);
        _result = CoreRelocator.Apply(_spec.Programs["core_reads"], _local, _target);
    }

    private List<CoreFixup> Find(string localType, CoreRelocationKind kind, string access) =>
        _result.Fixups.Where(f => f.Relocation.Kind == kind && f.Relocation.AccessString == access &&
                                  _local.GetName(f.Relocation.TypeId) == localType).ToList();

    private CoreFixup One(string localType, CoreRelocationKind kind, string access)
    {
        var found = Find(localType, kind, access);
        Assert.True(found.Count > 0, $"no {kind} relocation {access} on '{localType}'");
        return found[0];
    }

    private void AssertPatched(CoreFixup fixup, ulong expected)
    {
        Assert.False(fixup.Poisoned, fixup.Reason);
        Assert.Equal(expected, fixup.TargetValue);
        var instruction = _result.Instructions[fixup.Relocation.InstructionIndex];
        if (instruction.IsLoadImm64)
            Assert.Equal((long)expected, Instruction.ReadImm64(_result.Instructions, fixup.Relocation.InstructionIndex));
        else
            Assert.Equal((long)expected, KernelBtfTests.ImmediateOrOffset(instruction));
    }

    [Fact]
    public void FieldOffsetsFollowTheTargetLayout()
    {
        AssertPatched(One("task_struct", CoreRelocationKind.FieldByteOffset, "0:1"), 52);  // tgid
        AssertPatched(One("task_struct", CoreRelocationKind.FieldByteOffset, "0:2"), 96);  // real_parent
        AssertPatched(One("task_struct", CoreRelocationKind.FieldByteOffset, "0:0"), 56);  // pid
        AssertPatched(One("nested", CoreRelocationKind.FieldByteOffset, "0:2:2:1"), 2 * 16 + 0); // arr[2].b
        AssertPatched(One("task_struct", CoreRelocationKind.FieldByteSize, "0:4"), 32);    // comm
    }

    [Fact]
    public void FlavorsMatchTheTypeWithoutTheSuffix()
    {
        // task_struct___v2's tgid (0:1) is the target task_struct's tgid.
        var v2 = Find("task_struct___v2", CoreRelocationKind.FieldByteOffset, "0:1");
        Assert.All(v2, f => AssertPatched(f, 52));
        Assert.Equal(One("task_struct", CoreRelocationKind.TypeIdTarget, "0").TargetValue,
            (ulong)_target.FindTypes("task_struct")[0]);
    }

    [Fact]
    public void MissingFieldGivesExistsZeroAndPoisonsTheRead()
    {
        var exists = One("task_struct___v2", CoreRelocationKind.FieldExists, "0:2");
        Assert.False(exists.Poisoned);
        AssertPatched(exists, 0);
        var read = One("task_struct___v2", CoreRelocationKind.FieldByteOffset, "0:2");
        Assert.True(read.Poisoned);
        Assert.Contains("field_only_in_v2", read.Reason);
        Assert.True(_result.Instructions[read.Relocation.InstructionIndex].IsPoisoned);
        Assert.Equal(Instruction.PoisonHelper, _result.Instructions[read.Relocation.InstructionIndex].Immediate);
    }

    [Fact]
    public void BitfieldsGetLoadOffsetSizeAndShifts()
    {
        // Target: mid is bits 72..80 (9 bits), read as a 4-byte load at offset 8 -> bits 8..16 of the load.
        AssertPatched(One("bits", CoreRelocationKind.FieldByteOffset, "0:1"), 8);
        AssertPatched(One("bits", CoreRelocationKind.FieldByteSize, "0:1"), 4);
        AssertPatched(One("bits", CoreRelocationKind.FieldLShiftU64, "0:1"), 64 - 17);
        Assert.All(Find("bits", CoreRelocationKind.FieldRShiftU64, "0:1"), f => AssertPatched(f, 64 - 9));
        AssertPatched(One("bits", CoreRelocationKind.FieldSigned, "0:1"), 0);
        // sig: bits 81..86, signed int.
        AssertPatched(One("bits", CoreRelocationKind.FieldLShiftU64, "0:2"), 64 - 23);
        Assert.All(Find("bits", CoreRelocationKind.FieldRShiftU64, "0:2"), f => AssertPatched(f, 64 - 6));
        Assert.All(Find("bits", CoreRelocationKind.FieldSigned, "0:2"), f => AssertPatched(f, 1));
    }

    [Fact]
    public void TypeRelocations()
    {
        AssertPatched(One("task_struct", CoreRelocationKind.TypeExists, "0"), 1);
        AssertPatched(One("task_struct", CoreRelocationKind.TypeSize, "0"), 104);
        AssertPatched(One("only_local_type", CoreRelocationKind.TypeExists, "0"), 0);
        var local = One("task_struct", CoreRelocationKind.TypeIdLocal, "0");
        AssertPatched(local, (ulong)local.Relocation.TypeId);
        Assert.True(_target.TryFindType("task_struct", BtfKind.Struct, out var targetId));
        AssertPatched(One("task_struct", CoreRelocationKind.TypeIdTarget, "0"), (ulong)targetId);
    }

    [Fact]
    public void EnumValues()
    {
        AssertPatched(One("test_state", CoreRelocationKind.EnumValue, "1"), 7);        // TEST_STATE_B
        AssertPatched(One("test_state", CoreRelocationKind.EnumValueExists, "2"), 0);  // TEST_STATE_ONLY_LOCAL
    }

    [Fact]
    public void AmbiguousCandidatesArePoisoned()
    {
        var fixup = One("amb", CoreRelocationKind.FieldByteOffset, "0:1");
        Assert.True(fixup.Poisoned);
        Assert.Contains("ambiguous", fixup.Reason);
    }

    [Fact]
    public void DirectLoadsOfResizedFieldsAreWidened()
    {
        var fixup = One("sized_field", CoreRelocationKind.FieldByteOffset, "0:1");
        AssertPatched(fixup, 8);
        var instruction = _result.Instructions[fixup.Relocation.InstructionIndex];
        Assert.True(instruction.IsMemoryLoad);
        Assert.Equal(0x18, instruction.Opcode & 0x18); // BPF_DW: 8 bytes, as the target field
        Assert.Equal(0x00, _spec.Programs["core_reads"].Instructions[fixup.Relocation.InstructionIndex].Opcode & 0x18); // was BPF_W
    }

    [Fact]
    public void EveryRelocationIsReportedAndTheInputIsUntouched()
    {
        var program = _spec.Programs["core_reads"];
        Assert.Equal(program.CoreRelocations.Count, _result.Fixups.Count);
        Assert.DoesNotContain(program.Instructions, i => i.IsPoisoned);
        Assert.Equal(2, _result.Poisoned.Count()); // the missing field and the ambiguous amb, nothing else
        Assert.All(_result.Poisoned, f => Assert.False(string.IsNullOrEmpty(f.Reason)));
    }

    [Fact]
    public void ApplyAllReturnsARelocatedCopyThatCannotBeRelocatedTwice()
    {
        var relocated = CoreRelocator.ApplyAll(_spec, _target, out var fixups);
        Assert.Equal(_result.Fixups, fixups["core_reads"]);
        Assert.Equal(_result.Instructions, relocated.Programs["core_reads"].Instructions);
        Assert.Empty(relocated.Programs["core_reads"].CoreRelocations);
        Assert.NotEqual(_result.Instructions, _spec.Programs["core_reads"].Instructions); // the input is untouched
        Assert.NotEmpty(_spec.Programs["core_reads"].CoreRelocations);

        var again = CoreRelocator.ApplyAll(relocated, _target, out var none);
        Assert.Empty(none);
        Assert.Equal(_result.Instructions, again.Programs["core_reads"].Instructions);
    }

    [Fact]
    public void NoCandidatesPoisonsAllButExistenceChecks()
    {
        // An empty "kernel": only existence checks survive, as 0.
        var empty = BtfSpec.Parse(EmptyBtf());
        var result = CoreRelocator.Apply(_spec.Programs["core_reads"], _local, empty);
        foreach (var fixup in result.Fixups)
        {
            var existence = fixup.Relocation.Kind is CoreRelocationKind.FieldExists or CoreRelocationKind.TypeExists or CoreRelocationKind.EnumValueExists;
            if (fixup.Relocation.Kind == CoreRelocationKind.TypeIdLocal)
                Assert.False(fixup.Poisoned);
            else
                Assert.Equal(!existence, fixup.Poisoned);
        }
        // A poisoned ld_imm64 (the enum value) is poisoned in both halves, so no half-instruction is left behind.
        var enumValue = result.Fixups.Single(f => f.Relocation.Kind == CoreRelocationKind.EnumValue);
        Assert.True(_spec.Programs["core_reads"].Instructions[enumValue.Relocation.InstructionIndex].IsLoadImm64);
        Assert.True(result.Instructions[enumValue.Relocation.InstructionIndex].IsPoisoned);
        Assert.True(result.Instructions[enumValue.Relocation.InstructionIndex + 1].IsPoisoned);
    }

    /// <summary>A valid BTF blob with one INT type.</summary>
    internal static byte[] EmptyBtf()
    {
        var blob = new byte[24 + 16 + 5];
        BitConverter.TryWriteBytes(blob.AsSpan(0), BtfSpec.Magic);
        blob[2] = 1;
        BitConverter.TryWriteBytes(blob.AsSpan(4), 24u);
        BitConverter.TryWriteBytes(blob.AsSpan(8), 0u);
        BitConverter.TryWriteBytes(blob.AsSpan(12), 16u);
        BitConverter.TryWriteBytes(blob.AsSpan(16), 16u);
        BitConverter.TryWriteBytes(blob.AsSpan(20), 5u);
        BitConverter.TryWriteBytes(blob.AsSpan(24), 1u);                  // name "int"
        BitConverter.TryWriteBytes(blob.AsSpan(28), 1u << 24);            // INT, vlen 0
        BitConverter.TryWriteBytes(blob.AsSpan(32), 4u);                  // size 4
        BitConverter.TryWriteBytes(blob.AsSpan(36), (1u << 24) | 32u);    // signed, 32 bits
        "\0int\0"u8.CopyTo(blob.AsSpan(40));
        return blob;
    }
}
