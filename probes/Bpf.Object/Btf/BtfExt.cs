using System.Buffers.Binary;
using OsqueryBpf.Bpf.Object.Core;

namespace OsqueryBpf.Bpf.Object.Btf;

/// <summary>
/// The <c>.BTF.ext</c> section: func_info, line_info and CO-RE relocation records, grouped by the ELF section
/// of the code they describe. In the object, instruction offsets are in bytes from the start of that section;
/// this reader turns them into instruction indices.
/// </summary>
internal sealed class BtfExt
{
    public const int MinFuncInfoSize = 8;
    public const int MinLineInfoSize = 16;
    public const int MinCoreReloSize = 16;

    private BtfExt(uint funcInfoRecordSize, Dictionary<string, List<ExtRecord>> funcInfos,
        uint lineInfoRecordSize, Dictionary<string, List<ExtRecord>> lineInfos, Dictionary<string, List<CoreRelocation>> coreRelocations)
    {
        FuncInfoRecordSize = funcInfoRecordSize;
        FuncInfos = funcInfos;
        LineInfoRecordSize = lineInfoRecordSize;
        LineInfos = lineInfos;
        CoreRelocations = coreRelocations;
    }

    public uint FuncInfoRecordSize { get; }
    public Dictionary<string, List<ExtRecord>> FuncInfos { get; }
    public uint LineInfoRecordSize { get; }
    public Dictionary<string, List<ExtRecord>> LineInfos { get; }

    /// <summary>CO-RE relocations per section; <see cref="CoreRelocation.InstructionIndex"/> is relative to the section.</summary>
    public Dictionary<string, List<CoreRelocation>> CoreRelocations { get; }

    public static BtfExt Parse(ReadOnlySpan<byte> ext, BtfSpec btf)
    {
        if (ext.Length < 24)
            ThrowHelper.Throw($"BTF.ext is {ext.Length} bytes long, shorter than its 24-byte header.");
        if (BinaryPrimitives.ReadUInt16LittleEndian(ext) != BtfSpec.Magic)
            ThrowHelper.Throw("BTF.ext has a bad magic number.");
        var headerLength = BinaryPrimitives.ReadUInt32LittleEndian(ext[4..]);
        if (headerLength < 24 || headerLength > (uint)ext.Length)
            ThrowHelper.Throw($"BTF.ext header length {headerLength} is outside the section of {ext.Length} bytes.");
        var body = ext[(int)headerLength..];
        var funcInfos = new Dictionary<string, List<ExtRecord>>(StringComparer.Ordinal);
        var lineInfos = new Dictionary<string, List<ExtRecord>>(StringComparer.Ordinal);
        var coreRelocations = new Dictionary<string, List<CoreRelocation>>(StringComparer.Ordinal);

        var funcSize = ReadBlock(body, ext, 8, "func_info", MinFuncInfoSize, btf, (section, record) =>
            Add(funcInfos, section, new ExtRecord(InstructionIndex(record, section, "func_info"), record.ToArray())));
        var lineSize = ReadBlock(body, ext, 16, "line_info", MinLineInfoSize, btf, (section, record) =>
            Add(lineInfos, section, new ExtRecord(InstructionIndex(record, section, "line_info"), record.ToArray())));
        if (headerLength >= 32)
        {
            ReadBlock(body, ext, 24, "CO-RE relocation", MinCoreReloSize, btf, (section, record) =>
            {
                var typeId = BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
                var access = btf.GetString(BinaryPrimitives.ReadUInt32LittleEndian(record[8..]));
                var kind = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
                if (kind > (uint)CoreRelocationKind.TypeMatches)
                    ThrowHelper.Throw($"A CO-RE relocation in section '{section}' has unknown kind {kind}.");
                if (typeId > (uint)btf.TypeCount)
                    ThrowHelper.Throw($"A CO-RE relocation in section '{section}' refers to type {typeId}, beyond the last type {btf.TypeCount}.");
                Add(coreRelocations, section, new CoreRelocation(InstructionIndex(record, section, "CO-RE relocation"),
                    (int)typeId, access, (CoreRelocationKind)kind));
            });
        }
        return new BtfExt(funcSize, funcInfos, lineSize, lineInfos, coreRelocations);
    }

    private static void Add<T>(Dictionary<string, List<T>> map, string section, T item)
    {
        if (!map.TryGetValue(section, out var list))
            map[section] = list = [];
        list.Add(item);
    }

    private static int InstructionIndex(ReadOnlySpan<byte> record, string section, string what)
    {
        var byteOffset = BinaryPrimitives.ReadUInt32LittleEndian(record);
        if (byteOffset % Instruction.Size != 0)
            ThrowHelper.Throw($"A {what} record in section '{section}' has instruction offset {byteOffset}, which is not a multiple of {Instruction.Size}.");
        return (int)(byteOffset / Instruction.Size);
    }

    private delegate void RecordHandler(string section, ReadOnlySpan<byte> record);

    /// <summary>Reads one info block whose offset/length pair is at <paramref name="headerField"/> in the header.</summary>
    private static uint ReadBlock(ReadOnlySpan<byte> body, ReadOnlySpan<byte> ext, int headerField, string what, int minRecordSize,
        BtfSpec btf, RecordHandler handler)
    {
        var offset = BinaryPrimitives.ReadUInt32LittleEndian(ext[headerField..]);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(ext[(headerField + 4)..]);
        if (length == 0)
            return 0;
        if ((ulong)offset + length > (ulong)body.Length)
            ThrowHelper.Throw($"BTF.ext {what} block (offset {offset}, length {length}) runs past the end of the section.");
        var block = body.Slice((int)offset, (int)length);
        if (block.Length < 4)
            ThrowHelper.Throw($"BTF.ext {what} block is too short for its record size.");
        var recordSize = BinaryPrimitives.ReadUInt32LittleEndian(block);
        if (recordSize < minRecordSize || recordSize > 1024)
            ThrowHelper.Throw($"BTF.ext {what} record size {recordSize} is not between {minRecordSize} and 1024.");
        var pos = 4;
        while (pos < block.Length)
        {
            if (block.Length - pos < 8)
                ThrowHelper.Throw($"BTF.ext {what} block is truncated at offset {pos}: a section header needs 8 bytes.");
            var section = btf.GetString(BinaryPrimitives.ReadUInt32LittleEndian(block[pos..]));
            var count = BinaryPrimitives.ReadUInt32LittleEndian(block[(pos + 4)..]);
            pos += 8;
            if ((ulong)count * recordSize > (ulong)(block.Length - pos))
                ThrowHelper.Throw($"BTF.ext {what} for section '{section}' claims {count} records of {recordSize} bytes, more than the {block.Length - pos} bytes left.");
            for (var i = 0; i < count; i++)
            {
                handler(section, block.Slice(pos, (int)recordSize));
                pos += (int)recordSize;
            }
        }
        return recordSize;
    }
}
