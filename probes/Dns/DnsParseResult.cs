namespace OsqueryBpf.Dns;

/// <summary>
/// The outcome of <see cref="DnsMessage.Parse"/>: whatever could be read, and why the rest could not.
/// A result with <see cref="Error"/> other than <see cref="DnsParseError.None"/> is still useful (the header,
/// the question, the records before the problem); the caller marks its row with probe_error = 1.
/// </summary>
public sealed class DnsParseResult
{
    internal DnsParseResult(DnsMessage? message, DnsParseError error, int errorOffset, string? reason, int trailingBytes)
    {
        Message = message;
        Error = error;
        ErrorOffset = errorOffset;
        Reason = reason;
        TrailingBytes = trailingBytes;
    }

    /// <summary>The message as far as it could be read; null only when there were fewer than 12 bytes (no header).</summary>
    public DnsMessage? Message { get; }

    /// <summary>The problem that stopped the parse, else the first problem met, else <see cref="DnsParseError.None"/>.</summary>
    public DnsParseError Error { get; }

    /// <summary>The byte offset in the message where <see cref="Error"/> was found; -1 when there was none.</summary>
    public int ErrorOffset { get; }

    /// <summary><see cref="Error"/> as a full sentence, or null when there was none.</summary>
    public string? Reason { get; }

    /// <summary>Bytes after the last record the header announced (0 for a well-formed message). Not an error.</summary>
    public int TrailingBytes { get; }

    /// <summary>True when the message was read completely and without problems.</summary>
    public bool IsComplete => Error == DnsParseError.None;
}
