namespace OsqueryBpf.Bpf.Object.Elf;

/// <summary>One ELF symbol.</summary>
internal sealed record ElfSymbol(int Index, string Name, byte Binding, byte Type, ushort SectionIndex, ulong Value, ulong Size)
{
    public const byte SttObject = 1;
    public const byte SttFunc = 2;
    public const byte SttSection = 3;
    public const byte StbLocal = 0;
    public const byte StbGlobal = 1;
    public const byte StbWeak = 2;
}
