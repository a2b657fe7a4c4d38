namespace OsqueryBpf.Bpf.Object.Elf;

/// <summary>One SHT_REL entry: where, which kind and against which symbol.</summary>
internal readonly record struct ElfRelocation(ulong Offset, uint Type, ElfSymbol Symbol)
{
    public const uint RBpf64_64 = 1;      // ld_imm64
    public const uint RBpf64Abs64 = 2;    // data (e.g. .BTF), not in code
    public const uint RBpf64Abs32 = 3;    // data (e.g. .BTF.ext), not in code
    public const uint RBpf64NoDyld32 = 4;
    public const uint RBpf64_32 = 10;     // call
}
