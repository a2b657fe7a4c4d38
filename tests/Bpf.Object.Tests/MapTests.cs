using System.Buffers.Binary;
using System.Text;
using OsqueryBpf.Bpf.Object.Btf;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

public class MapTests
{
    private readonly CollectionSpec _spec = CollectionSpec.Parse(TestObjects.MapsAndPrograms);

    [Fact]
    public void ReadsBtfDefinedMaps()
    {
        var events = _spec.Maps["events"];
        Assert.Equal(MapType.RingBuf, events.Type);
        Assert.Equal(256u * 1024, events.MaxEntries);
        Assert.Equal(0u, events.KeySize);
        Assert.Null(events.Contents);
        Assert.False(events.IsGlobalData);

        var counts = _spec.Maps["counts"];
        Assert.Equal(MapType.Hash, counts.Type);
        Assert.Equal(1024u, counts.MaxEntries);
        Assert.Equal(4u, counts.KeySize);     // __u32
        Assert.Equal(16u, counts.ValueSize);  // struct value { u64; u32; u32; }
        var btf = Assert.IsType<BtfSpec>(_spec.Btf);
        Assert.Equal("value", btf.GetName((int)counts.BtfValueTypeId));
        Assert.Equal(BtfKind.Struct, btf.GetKind((int)counts.BtfValueTypeId));
        Assert.Equal(4u, btf.GetTypeSize((int)counts.BtfKeyTypeId));

        var sized = _spec.Maps["sized"];
        Assert.Equal(MapType.LruHash, sized.Type);
        Assert.Equal(2u, sized.Flags); // BPF_F_NO_COMMON_LRU
        Assert.Equal(8u, sized.KeySize);
        Assert.Equal(16u, sized.ValueSize);
        Assert.Equal(0u, sized.BtfKeyTypeId); // sizes only, no types

        var lost = _spec.Maps["lost"];
        Assert.Equal(MapType.PerCpuArray, lost.Type);
        Assert.Equal((4u, 8u, 1u), (lost.KeySize, lost.ValueSize, lost.MaxEntries));
    }

    [Fact]
    public void GlobalDataBecomesOneEntryArrays()
    {
        var rodata = _spec.Maps[".rodata"];
        Assert.True(rodata.IsGlobalData);
        Assert.True(rodata.Freeze);
        Assert.Equal(MapType.Array, rodata.Type);
        Assert.Equal((4u, 1u), (rodata.KeySize, rodata.MaxEntries));
        Assert.Equal(0x80u, rodata.Flags); // BPF_F_RDONLY_PROG
        var contents = Assert.IsType<byte[]>(rodata.Contents);
        Assert.Equal(rodata.ValueSize, (uint)contents.Length);

        var threshold = _spec.Variables["threshold"];
        Assert.Equal(100ul, BinaryPrimitives.ReadUInt64LittleEndian(contents.AsSpan((int)threshold.Offset)));
        var label = _spec.Variables["label"];
        Assert.Equal("abc", Encoding.ASCII.GetString(contents, (int)label.Offset, 3));
        Assert.Equal(8u, label.Size);

        var data = _spec.Maps[".data"];
        Assert.False(data.Freeze);
        Assert.Equal(7ul, BinaryPrimitives.ReadUInt64LittleEndian(Assert.IsType<byte[]>(data.Contents).AsSpan((int)_spec.Variables["hits"].Offset)));

        var bss = _spec.Maps[".bss"];
        Assert.Equal(12u, bss.ValueSize); // u64 zeroed + u32 also_zeroed
        Assert.All(Assert.IsType<byte[]>(bss.Contents), b => Assert.Equal(0, b));
        Assert.Equal(8u, _spec.Variables["also_zeroed"].Offset);

        // The map's BTF value type is the section's DATASEC, as the kernel expects for global data.
        var btf = Assert.IsType<BtfSpec>(_spec.Btf);
        Assert.Equal(BtfKind.DataSec, btf.GetKind((int)rodata.BtfValueTypeId));
        Assert.Equal(".rodata", btf.GetName((int)rodata.BtfValueTypeId));
    }

    [Fact]
    public void StringLiteralSectionsAreReadOnlyGlobalData()
    {
        var strings = _spec.Maps[".rodata.str1.1"];
        Assert.True(strings.IsGlobalData && strings.Freeze);
        Assert.Equal("literal-string\0", Encoding.ASCII.GetString(Assert.IsType<byte[]>(strings.Contents)));
        Assert.Contains(_spec.Programs["raw_short"].MapReferences, r => r is { MapName: ".rodata.str1.1", IsValue: true, Offset: 0 });
    }

    [Fact]
    public void KernelBtfHasDataSectionSizesAndVariableOffsets()
    {
        var original = Assert.IsType<BtfSpec>(_spec.Btf);
        Assert.True(original.TryFindType(".rodata", BtfKind.DataSec, out var rodataId));
        Assert.Equal(0u, original.GetSizeField(rodataId)); // what clang leaves

        var fixedBtf = BtfSpec.Parse(Assert.IsType<byte[]>(_spec.BtfForKernel));
        Assert.Equal(original.TypeCount, fixedBtf.TypeCount);
        foreach (var section in new[] { ".rodata", ".data", ".bss", ".maps" })
        {
            Assert.True(fixedBtf.TryFindType(section, BtfKind.DataSec, out var id));
            var size = fixedBtf.GetSizeField(id);
            Assert.True(size > 0, $"{section} size is 0");
            uint previous = 0;
            for (var i = 0; i < fixedBtf.GetVlen(id); i++)
            {
                var info = fixedBtf.GetVarSecInfo(id, i);
                Assert.True(info.Offset >= previous, $"{section} variables are not sorted by offset");
                Assert.True(info.Offset + info.Size <= size);
                previous = info.Offset;
                var name = fixedBtf.GetName(info.TypeId);
                if (_spec.Variables.TryGetValue(name, out var variable))
                    Assert.Equal(variable.Offset, info.Offset);
            }
        }
        Assert.Equal(_spec.Maps[".rodata"].ValueSize, fixedBtf.GetSizeField(fixedBtf.FindTypes(".rodata")[0]));
    }
}
