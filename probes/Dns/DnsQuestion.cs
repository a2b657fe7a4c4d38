namespace OsqueryBpf.Dns;

/// <summary>One entry of the question section.</summary>
/// <param name="Name">The name in presentation form, absolute (with the trailing dot), escaped as README.md describes.</param>
/// <param name="Type">The type number.</param>
/// <param name="Class">The class number.</param>
public readonly record struct DnsQuestion(string Name, ushort Type, ushort Class)
{
    /// <summary>The type's mnemonic, or <c>TYPEnnn</c>.</summary>
    public string TypeName => DnsNames.TypeName(Type);
}
