namespace OsqueryBpf.Bpf.Object.Btf;

/// <summary>A struct or union member.</summary>
/// <param name="Name">Member name; empty for anonymous struct/union members.</param>
/// <param name="TypeId">Type of the member.</param>
/// <param name="BitOffset">Offset from the start of the containing type, in bits.</param>
/// <param name="BitfieldSize">Width in bits for bitfields, 0 otherwise.</param>
public readonly record struct BtfMember(string Name, int TypeId, uint BitOffset, uint BitfieldSize);
