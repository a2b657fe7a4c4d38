namespace OsqueryBpf.Bpf.Object.Elf;

/// <summary>One ELF section header.</summary>
internal sealed record ElfSection(int Index, string Name, uint Type, ulong Flags, ulong Offset, ulong Size, uint Link, uint Info, ulong EntrySize)
{
    public bool IsExecutable => Type == ElfFile.ShtProgBits && (Flags & ElfFile.ShfExecInstr) != 0;
}
