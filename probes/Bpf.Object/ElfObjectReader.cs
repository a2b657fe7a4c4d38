namespace OsqueryBpf.Bpf.Object;

/// <summary>Turns an ELF object into a <see cref="CollectionSpec"/>.</summary>
internal static class ElfObjectReader
{
    public static CollectionSpec Read(ReadOnlySpan<byte> elf) =>
        throw new NotImplementedException("ELF parsing is not implemented yet.");
}
