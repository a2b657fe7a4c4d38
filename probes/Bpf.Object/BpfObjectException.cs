namespace OsqueryBpf.Bpf.Object;

/// <summary>
/// An ELF object, BTF blob or relocation that this library cannot accept: truncated or corrupted input,
/// an unsupported construct, or a misuse of the spec API (such as setting an unknown constant).
/// The message says what was wrong and where (section, offset, type id).
/// </summary>
public sealed class BpfObjectException : Exception
{
    internal BpfObjectException(string message)
        : base(message)
    {
    }

    internal BpfObjectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
