using OsqueryBpf.Bpf.Object.Btf;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

public class BtfTests
{
    private readonly BtfSpec _target = BtfSpec.Parse(TestObjects.TargetBtf);

    [Fact]
    public void FindsTypesByNameAndKind()
    {
        Assert.True(_target.TryFindType("task_struct", BtfKind.Struct, out var task));
        Assert.Equal("task_struct", _target.GetName(task));
        Assert.Equal(104u, _target.GetTypeSize(task)); // see testdata/target_btf.c
        Assert.False(_target.TryFindType("task_struct", BtfKind.Union, out _));
        Assert.False(_target.TryFindType("no_such_type", BtfKind.Struct, out _));
        Assert.True(_target.TryFindType("test_state", BtfKind.Enum, out _));
        Assert.True(_target.TryFindType("int", BtfKind.Int, out var intId));
        Assert.True(_target.GetInt(intId).IsSigned);
        Assert.Equal(32u, _target.GetInt(intId).Bits);
    }

    [Fact]
    public void ReportsMemberOffsetsIncludingBitfields()
    {
        Assert.True(_target.TryFindType("task_struct", BtfKind.Struct, out var task));
        Assert.True(_target.TryGetMemberOffset(task, "tgid", out var tgid, out _));
        Assert.Equal(52u * 8, tgid);
        Assert.True(_target.TryGetMemberOffset(task, "real_parent", out var parent, out var parentMember));
        Assert.Equal(96u * 8, parent);
        Assert.Equal(BtfKind.Pointer, _target.GetKind(parentMember.TypeId));
        Assert.False(_target.TryGetMemberOffset(task, "field_only_in_v2", out _, out _));

        Assert.True(_target.TryFindType("bits", BtfKind.Struct, out var bits));
        Assert.True(_target.GetKindFlag(bits)); // bitfield encoding in use
        Assert.True(_target.TryGetMemberOffset(bits, "mid", out var mid, out var midMember));
        Assert.Equal((72u, 9u), (mid, midMember.BitfieldSize));
        Assert.True(_target.TryGetMemberOffset(bits, "sig", out var sig, out var sigMember));
        Assert.Equal((81u, 6u), (sig, sigMember.BitfieldSize));

        Assert.True(_target.TryFindType("nested", BtfKind.Struct, out var nested));
        Assert.True(_target.TryGetMemberOffset(nested, "inner.a", out var innerA, out _));
        Assert.Equal((72u + 8) * 8, innerA);
        var arr = _target.GetMember(nested, 0);
        var array = _target.GetArray(arr.TypeId);
        Assert.Equal(4u, array.Count);
        Assert.Equal(64u, _target.GetTypeSize(arr.TypeId));
    }

    [Fact]
    public void ReadsEnumsTypedefsAndTracepointTypes()
    {
        Assert.True(_target.TryFindType("test_state", BtfKind.Enum, out var state));
        Assert.Equal(2, _target.GetVlen(state));
        Assert.Equal(new BtfEnumValue("TEST_STATE_B", 7), _target.GetEnumValue(state, 1));

        Assert.True(_target.TryFindBtfTracepoint("sched_process_exec", out var tp));
        Assert.Equal(BtfKind.Typedef, _target.GetKind(tp));
        var proto = _target.GetReferencedTypeId(_target.GetReferencedTypeId(tp));
        Assert.Equal(BtfKind.FuncProto, _target.GetKind(proto));
        Assert.Equal(3, _target.GetVlen(proto));
        Assert.Equal(8u, _target.GetTypeSize(tp)); // a typedef of a pointer
        Assert.False(_target.TryFindBtfTracepoint("sched_process_exit", out _));
    }

    [Fact]
    public void ParsesObjectBtfWithEveryKindClangEmits()
    {
        var btf = Assert.IsType<BtfSpec>(CollectionSpec.Parse(TestObjects.MapsAndPrograms).Btf);
        var kinds = Enumerable.Range(1, btf.TypeCount).Select(btf.GetKind).ToHashSet();
        foreach (var kind in new[] { BtfKind.Int, BtfKind.Pointer, BtfKind.Array, BtfKind.Struct, BtfKind.Typedef,
                     BtfKind.Const, BtfKind.Volatile, BtfKind.Func, BtfKind.FuncProto, BtfKind.Var, BtfKind.DataSec })
            Assert.Contains(kind, kinds);
        Assert.True(btf.TryFindType("leaf", BtfKind.Func, out var leaf));
        Assert.Equal(0u, btf.GetLinkage(leaf)); // static
        Assert.True(btf.TryFindType("global_helper", BtfKind.Func, out var helper));
        Assert.Equal(1u, btf.GetLinkage(helper)); // global
        Assert.True(btf.TryFindType("ignore_tgid", BtfKind.Var, out var ignore));
        // const volatile __u32: CONST -> VOLATILE -> TYPEDEF __u32 -> INT.
        var constId = btf.GetReferencedTypeId(ignore);
        Assert.Equal(BtfKind.Const, btf.GetKind(constId));
        Assert.Equal(BtfKind.Volatile, btf.GetKind(btf.GetReferencedTypeId(constId)));
        Assert.Equal("__u32", btf.GetName(btf.SkipModifiers(constId)));
        Assert.Equal(BtfKind.Int, btf.GetKind(btf.SkipQualifiers(constId)));
    }

    [Fact]
    public void RejectsBadHeaders()
    {
        var blob = TestObjects.TargetBtf;
        var badMagic = (byte[])blob.Clone();
        badMagic[0] = 0;
        Assert.Contains("magic", Assert.Throws<BpfObjectException>(() => BtfSpec.Parse(badMagic)).Message);
        Assert.Contains("shorter", Assert.Throws<BpfObjectException>(() => BtfSpec.Parse(blob.AsSpan(0, 10))).Message);
        var truncated = blob.AsSpan(0, blob.Length - 100).ToArray();
        Assert.Contains("past the end", Assert.Throws<BpfObjectException>(() => BtfSpec.Parse(truncated)).Message);
        var btf = BtfSpec.Parse(blob);
        Assert.Contains("out of range", Assert.Throws<BpfObjectException>(() => btf.GetKind(btf.TypeCount + 1)).Message);
        Assert.Throws<BpfObjectException>(() => btf.GetMember(1, 1000));
        Assert.Throws<BpfObjectException>(() => btf.GetArray(1));
    }
}
