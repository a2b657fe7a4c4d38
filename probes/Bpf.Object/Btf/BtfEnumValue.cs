namespace OsqueryBpf.Bpf.Object.Btf;

/// <summary>One enumerator of an ENUM or ENUM64 type.</summary>
/// <param name="Name">Enumerator name.</param>
/// <param name="Value">Value, sign-extended for signed 32-bit enums.</param>
public readonly record struct BtfEnumValue(string Name, long Value);
