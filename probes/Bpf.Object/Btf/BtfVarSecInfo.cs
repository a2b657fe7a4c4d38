namespace OsqueryBpf.Bpf.Object.Btf;

/// <summary>One variable of a DATASEC type.</summary>
/// <param name="TypeId">The VAR type (or FUNC for extern functions).</param>
/// <param name="Offset">Offset of the variable in the section.</param>
/// <param name="Size">Size of the variable.</param>
public readonly record struct BtfVarSecInfo(int TypeId, uint Offset, uint Size);
