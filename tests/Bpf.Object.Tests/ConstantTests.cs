using System.Buffers.Binary;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

public class ConstantTests
{
    [Fact]
    public void SetsConstantsByName()
    {
        var spec = CollectionSpec.Parse(TestObjects.MapsAndPrograms);
        spec.SetConstant("threshold", 123456789012ul);
        spec.SetConstant("ignore_tgid", 42u);
        spec.SetConstant("label", "xyz\0\0\0\0\0"u8);
        var contents = Assert.IsType<byte[]>(spec.Maps[".rodata"].Contents);
        Assert.Equal(123456789012ul, BinaryPrimitives.ReadUInt64LittleEndian(contents.AsSpan((int)spec.Variables["threshold"].Offset)));
        Assert.Equal(42u, BinaryPrimitives.ReadUInt32LittleEndian(contents.AsSpan((int)spec.Variables["ignore_tgid"].Offset)));
        Assert.Equal((byte)'x', contents[spec.Variables["label"].Offset]);
    }

    [Fact]
    public void RejectsWrongSizesUnknownNamesAndWritableVariables()
    {
        var spec = CollectionSpec.Parse(TestObjects.MapsAndPrograms);
        var size = Assert.Throws<BpfObjectException>(() => spec.SetConstant("threshold", 1u));
        Assert.Contains("'threshold' is 8 bytes but the new value is 4 bytes", size.Message);
        var unknown = Assert.Throws<BpfObjectException>(() => spec.SetConstant("no_such_constant", 1u));
        Assert.Contains("'no_such_constant'", unknown.Message);
        var writable = Assert.Throws<BpfObjectException>(() => spec.SetConstant("hits", 1ul));
        Assert.Contains("'.data'", writable.Message);
    }

    [Fact]
    public void ClonesAreIndependent()
    {
        var spec = CollectionSpec.Parse(TestObjects.MapsAndPrograms);
        var clone = spec.Clone();
        clone.SetConstant("threshold", 1ul);
        clone.Maps["events"].MaxEntries = 4096;
        clone.Programs["tp_short"].Instructions[0] = Instruction.Poison;
        var offset = (int)spec.Variables["threshold"].Offset;
        Assert.Equal(100ul, BinaryPrimitives.ReadUInt64LittleEndian(Assert.IsType<byte[]>(spec.Maps[".rodata"].Contents).AsSpan(offset)));
        Assert.Equal(256u * 1024, spec.Maps["events"].MaxEntries);
        Assert.False(spec.Programs["tp_short"].Instructions[0].IsPoisoned);
    }
}
