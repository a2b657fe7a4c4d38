namespace OsqueryBpf.Bpf.Object;

/// <summary>A global variable in a data section, from the object's BTF DATASEC.</summary>
/// <param name="Name">Variable name.</param>
/// <param name="SectionName">The data section (and map) that holds it, such as <c>.rodata</c>.</param>
/// <param name="Offset">Byte offset in the section.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="TypeId">The VAR's type in the object's BTF.</param>
public readonly record struct VariableSpec(string Name, string SectionName, uint Offset, uint Size, int TypeId)
{
    /// <summary>True for variables in <c>.rodata</c> (or <c>.rodata.*</c>), which the kernel freezes after loading.</summary>
    public bool IsReadOnly => SectionName == ".rodata" || SectionName.StartsWith(".rodata.", StringComparison.Ordinal);
}
