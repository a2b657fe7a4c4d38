using OsqueryBpf.Bpf.Object.Btf;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

/// <summary>Kinds that clang 14 does not emit for our sources (ENUM64, FLOAT, tags), and malformed chains.</summary>
public class BtfKindTests
{
    [Fact]
    public void ParsesEnum64FloatAndTags()
    {
        var b = new BtfBuilder();
        var u64 = b.Add("unsigned long long", BtfKind.Int, 0, false, 8, 64);
        var e64 = b.Add("big", BtfKind.Enum64, 2, false, 8,
            b.Name("BIG_SMALL"), 5, 0,
            b.Name("BIG_HUGE"), 0x89abcdef, 0x01234567);
        var dbl = b.Add("double", BtfKind.Float, 0, false, 8);
        var tagged = b.Add("user", BtfKind.TypeTag, 0, false, (uint)u64);
        var ptr = b.Add("", BtfKind.Pointer, 0, false, (uint)tagged);
        var s = b.Add("holder", BtfKind.Struct, 2, false, 16,
            b.Name("value"), (uint)dbl, 0,
            b.Name("user_ptr"), (uint)ptr, 64);
        var decl = b.Add("marker", BtfKind.DeclTag, 0, false, (uint)s, unchecked((uint)-1));
        var btf = BtfSpec.Parse(b.Build());

        Assert.Equal(7, btf.TypeCount);
        Assert.Equal(new BtfEnumValue("BIG_HUGE", 0x0123456789abcdefL), btf.GetEnumValue(e64, 1));
        Assert.Equal(8u, btf.GetTypeSize(e64));
        Assert.Equal(BtfKind.Float, btf.GetKind(dbl));
        Assert.Equal(8u, btf.GetTypeSize(dbl));
        Assert.Equal(u64, btf.SkipQualifiers(tagged)); // type tags are looked through like qualifiers
        Assert.Equal(BtfKind.DeclTag, btf.GetKind(decl));
        Assert.Equal(s, btf.GetReferencedTypeId(decl));
        Assert.True(btf.TryFindType("big", BtfKind.Enum64, out var found) && found == e64);
        Assert.True(btf.TryGetMemberOffset(s, "user_ptr", out var bits, out _));
        Assert.Equal(64u, bits);
    }

    [Fact]
    public void TypedefLoopsAreErrorsNotHangs()
    {
        var b = new BtfBuilder();
        var first = b.Add("a", BtfKind.Typedef, 0, false, 2);
        b.Add("b", BtfKind.Typedef, 0, false, (uint)first);
        var btf = BtfSpec.Parse(b.Build());
        Assert.Contains("loop", Assert.Throws<BpfObjectException>(() => btf.SkipQualifiers(first)).Message);
        Assert.False(btf.TryGetTypeSize(first, out _));
    }

    [Fact]
    public void DanglingTypeReferencesAreErrors()
    {
        var b = new BtfBuilder();
        var ptr = b.Add("", BtfKind.Pointer, 0, false, 99);
        var btf = BtfSpec.Parse(b.Build());
        Assert.Contains("type id 99", Assert.Throws<BpfObjectException>(() => btf.GetReferencedTypeId(ptr)).Message);
    }

    [Fact]
    public void UnknownKindsAndHugeCountsAreErrors()
    {
        var unknown = new BtfBuilder();
        unknown.Add("x", (BtfKind)25, 0, false, 0);
        Assert.Contains("unknown kind 25", Assert.Throws<BpfObjectException>(() => BtfSpec.Parse(unknown.Build())).Message);

        // A struct claiming 65535 members in a blob that holds none: rejected before anything is allocated.
        var huge = new BtfBuilder();
        huge.Add("s", BtfKind.Struct, 0xffff, false, 4);
        Assert.Contains("needs", Assert.Throws<BpfObjectException>(() => BtfSpec.Parse(huge.Build())).Message);
    }
}
