using System.Buffers.Binary;
using System.Text;

namespace OsqueryBpf.Bpf.Object.Elf;

/// <summary>
/// A bounds-checked reader of little-endian ELF64 relocatable objects: section headers, section names, the
/// symbol table and SHT_REL relocation sections. Every offset and count read from the file is checked against
/// the file's length before use, so corrupt input gives a <see cref="BpfObjectException"/>.
/// </summary>
internal sealed class ElfFile
{
    public const uint ShtProgBits = 1;
    public const uint ShtSymTab = 2;
    public const uint ShtStrTab = 3;
    public const uint ShtRela = 4;
    public const uint ShtNoBits = 8;
    public const uint ShtRel = 9;
    public const ulong ShfWrite = 0x1;
    public const ulong ShfAlloc = 0x2;
    public const ulong ShfExecInstr = 0x4;
    public const ushort EmBpf = 247;
    private const int HeaderSize = 64;
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;
    private const int RelSize = 16;

    private readonly byte[] _data;

    private ElfFile(byte[] data, ElfSection[] sections, ElfSymbol[] symbols)
    {
        _data = data;
        Sections = sections;
        Symbols = symbols;
    }

    public IReadOnlyList<ElfSection> Sections { get; }

    /// <summary>Symbols in table order (index 0 is the null symbol).</summary>
    public IReadOnlyList<ElfSymbol> Symbols { get; }

    public static ElfFile Parse(ReadOnlySpan<byte> input)
    {
        if (input.Length < 4 || input[0] != 0x7f || input[1] != (byte)'E' || input[2] != (byte)'L' || input[3] != (byte)'F')
            ThrowHelper.Throw("The input is not an ELF object (it does not start with the ELF magic 7f 45 4c 46).");
        if (input.Length < HeaderSize)
            ThrowHelper.Throw($"The ELF object is {input.Length} bytes long, shorter than the {HeaderSize}-byte ELF64 header.");
        if (input[4] != 2)
            ThrowHelper.Throw($"The ELF object has class {input[4]}; only ELF64 (2) is supported.");
        if (input[5] != 1)
            ThrowHelper.Throw($"The ELF object has data encoding {input[5]}; only little-endian (1) is supported.");
        var type = BinaryPrimitives.ReadUInt16LittleEndian(input[16..]);
        if (type != 1)
            ThrowHelper.Throw($"The ELF object has type {type}; only relocatable objects (ET_REL, 1) are supported.");
        var machine = BinaryPrimitives.ReadUInt16LittleEndian(input[18..]);
        if (machine != EmBpf && machine != 0)
            ThrowHelper.Throw($"The ELF object is for machine {machine}, not BPF ({EmBpf}).");

        var data = input.ToArray();
        var shoff = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(0x28));
        var shentsize = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(0x3a));
        ulong shnum = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(0x3c));
        uint shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(0x3e));
        if (shentsize != SectionHeaderSize)
            ThrowHelper.Throw($"The ELF section header size is {shentsize}, expected {SectionHeaderSize}.");
        if (shoff == 0 || shoff > (ulong)data.Length || (ulong)data.Length - shoff < SectionHeaderSize)
            ThrowHelper.Throw($"The ELF section header table offset {shoff} is outside the file of {data.Length} bytes.");
        if (shnum == 0) // extended numbering: the real count is in section 0's sh_size
            shnum = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan((int)shoff + 32));
        if (shstrndx == 0xffff) // SHN_XINDEX: the real index is in section 0's sh_link
            shstrndx = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)shoff + 40));
        if (shnum > ((ulong)data.Length - shoff) / SectionHeaderSize)
            ThrowHelper.Throw($"The ELF object claims {shnum} section headers at offset {shoff}, which do not fit in the file of {data.Length} bytes.");

        var headers = new (uint Name, uint Type, ulong Flags, ulong Offset, ulong Size, uint Link, uint Info, ulong EntSize)[shnum];
        for (var i = 0; i < (int)shnum; i++)
        {
            var h = data.AsSpan((int)shoff + i * SectionHeaderSize, SectionHeaderSize);
            headers[i] = (BinaryPrimitives.ReadUInt32LittleEndian(h), BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[8..]), BinaryPrimitives.ReadUInt64LittleEndian(h[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[32..]), BinaryPrimitives.ReadUInt32LittleEndian(h[40..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[44..]), BinaryPrimitives.ReadUInt64LittleEndian(h[56..]));
            if (headers[i].Type != ShtNoBits && headers[i].Type != 0 &&
                (headers[i].Offset > (ulong)data.Length || headers[i].Size > (ulong)data.Length - headers[i].Offset))
                ThrowHelper.Throw($"ELF section {i} (offset {headers[i].Offset}, size {headers[i].Size}) runs past the end of the file of {data.Length} bytes.");
        }
        if (shstrndx >= shnum || headers[shstrndx].Type != ShtStrTab)
            ThrowHelper.Throw($"The ELF section name table index {shstrndx} does not name a string table.");

        var names = Slice(data, headers[shstrndx].Offset, headers[shstrndx].Size);
        var sections = new ElfSection[shnum];
        for (var i = 0; i < (int)shnum; i++)
        {
            var h = headers[i];
            var name = ReadString(names, h.Name, $"the name of ELF section {i}");
            sections[i] = new ElfSection(i, name, h.Type, h.Flags, h.Offset, h.Size, h.Link, h.Info, h.EntSize);
        }

        var symbols = Array.Empty<ElfSymbol>();
        var symtab = Array.Find(sections, s => s.Type == ShtSymTab);
        if (symtab is not null)
        {
            if (symtab.Link >= sections.Length || sections[symtab.Link].Type != ShtStrTab)
                ThrowHelper.Throw($"The ELF symbol table links to section {symtab.Link}, which is not a string table.");
            var strtab = sections[symtab.Link];
            var strings = Slice(data, strtab.Offset, strtab.Size);
            var table = Slice(data, symtab.Offset, symtab.Size);
            if (table.Length % SymbolSize != 0)
                ThrowHelper.Throw($"The ELF symbol table is {table.Length} bytes, not a multiple of {SymbolSize}.");
            symbols = new ElfSymbol[table.Length / SymbolSize];
            for (var i = 0; i < symbols.Length; i++)
            {
                var s = table.Slice(i * SymbolSize, SymbolSize);
                var info = s[4];
                symbols[i] = new ElfSymbol(i,
                    ReadString(strings, BinaryPrimitives.ReadUInt32LittleEndian(s), $"the name of ELF symbol {i}"),
                    (byte)(info >> 4), (byte)(info & 0xf), BinaryPrimitives.ReadUInt16LittleEndian(s[6..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(s[8..]), BinaryPrimitives.ReadUInt64LittleEndian(s[16..]));
            }
        }
        return new ElfFile(data, sections, symbols);
    }

    /// <summary>The bytes of a section; empty for SHT_NOBITS.</summary>
    public ReadOnlySpan<byte> Data(ElfSection section) =>
        section.Type == ShtNoBits ? default : Slice(_data, section.Offset, section.Size);

    /// <summary>The relocations of an SHT_REL section, validated against the symbol table.</summary>
    public ElfRelocation[] Relocations(ElfSection relSection)
    {
        var table = Data(relSection);
        if (table.Length % RelSize != 0)
            ThrowHelper.Throw($"The ELF relocation section '{relSection.Name}' is {table.Length} bytes, not a multiple of {RelSize}.");
        var result = new ElfRelocation[table.Length / RelSize];
        for (var i = 0; i < result.Length; i++)
        {
            var offset = BinaryPrimitives.ReadUInt64LittleEndian(table[(i * RelSize)..]);
            var info = BinaryPrimitives.ReadUInt64LittleEndian(table[(i * RelSize + 8)..]);
            var symbol = info >> 32;
            if (symbol >= (ulong)Symbols.Count)
                ThrowHelper.Throw($"Relocation {i} in '{relSection.Name}' refers to symbol {symbol}, but the symbol table has {Symbols.Count} entries.");
            result[i] = new ElfRelocation(offset, (uint)info, Symbols[(int)symbol]);
        }
        return result;
    }

    private static ReadOnlySpan<byte> Slice(byte[] data, ulong offset, ulong size)
    {
        if (offset > (ulong)data.Length || size > (ulong)data.Length - offset)
            ThrowHelper.Throw($"The range at offset {offset} of {size} bytes runs past the end of the file of {data.Length} bytes.");
        return data.AsSpan((int)offset, (int)size);
    }

    private static string ReadString(ReadOnlySpan<byte> table, uint offset, string what)
    {
        if (offset >= (uint)table.Length)
        {
            if (offset == 0)
                return "";
            ThrowHelper.Throw($"The string offset {offset} for {what} is outside its string table of {table.Length} bytes.");
        }
        var rest = table[(int)offset..];
        var end = rest.IndexOf((byte)0);
        if (end < 0)
            ThrowHelper.Throw($"The string for {what} at offset {offset} is not NUL-terminated.");
        return Encoding.UTF8.GetString(rest[..end]);
    }
}
