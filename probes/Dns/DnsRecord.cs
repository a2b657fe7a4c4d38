namespace OsqueryBpf.Dns;

/// <summary>One resource record of the answer, authority or additional section.</summary>
/// <param name="Name">The owner name in presentation form, absolute, escaped as README.md describes.</param>
/// <param name="Type">The type number.</param>
/// <param name="Class">The class number (for OPT, the requester's UDP payload size).</param>
/// <param name="Ttl">The time to live in seconds (for OPT, the extended rcode, version and flags).</param>
/// <param name="Data">The record data in presentation form, as dig prints it (README.md lists the forms per type).</param>
/// <param name="DataLength">The record data's length on the wire (RDLENGTH).</param>
public readonly record struct DnsRecord(string Name, ushort Type, ushort Class, uint Ttl, string Data, int DataLength)
{
    /// <summary>The type's mnemonic, or <c>TYPEnnn</c>.</summary>
    public string TypeName => DnsNames.TypeName(Type);

    /// <summary>The class's mnemonic, or <c>CLASSnnn</c>.</summary>
    public string ClassName => DnsNames.ClassName(Class);
}
