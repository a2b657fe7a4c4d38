namespace OsqueryBpf.Bpf.Object.Btf;

/// <summary>The extra word of an INT type.</summary>
/// <param name="IsSigned">BTF_INT_SIGNED.</param>
/// <param name="IsChar">BTF_INT_CHAR.</param>
/// <param name="IsBool">BTF_INT_BOOL.</param>
/// <param name="BitOffset">Bit offset (non-zero only in legacy bitfield encodings).</param>
/// <param name="Bits">Number of value bits.</param>
public readonly record struct BtfIntEncoding(bool IsSigned, bool IsChar, bool IsBool, uint BitOffset, uint Bits);
