namespace OsqueryBpf.Bpf.Object.Btf;

/// <summary>The element type, index type and length of an ARRAY type.</summary>
/// <param name="ElementTypeId">Element type.</param>
/// <param name="IndexTypeId">Index type (an INT).</param>
/// <param name="Count">Number of elements (0 for flexible arrays).</param>
public readonly record struct BtfArray(int ElementTypeId, int IndexTypeId, uint Count);
