namespace OsqueryBpf.Tls;

/// <summary>Which hello a stream started with.</summary>
public enum TlsHelloKind
{
    /// <summary>No handshake message could be identified.</summary>
    None = 0,

    /// <summary>A ClientHello (handshake type 1).</summary>
    ClientHello = 1,

    /// <summary>A ServerHello or HelloRetryRequest (handshake type 2).</summary>
    ServerHello = 2,
}

/// <summary>
/// The outcome of <see cref="TlsHello.Parse"/>: whatever could be read, and why the rest could not. A result with
/// an error is still useful (the cipher suites and extensions before the problem); the caller marks its row with
/// probe_error = 1 and counts <see cref="Error"/>.
/// </summary>
public sealed class TlsHelloResult
{
    internal TlsHelloResult(TlsHelloKind kind, TlsClientHello? client, TlsServerHello? server, ushort recordVersion,
        int records, int handshakeLength, TlsParseError error, int errorOffset, string? reason)
    {
        Kind = kind;
        Client = client;
        Server = server;
        RecordVersion = recordVersion;
        Records = records;
        HandshakeLength = handshakeLength;
        Error = error;
        ErrorOffset = errorOffset;
        Reason = reason;
    }

    /// <summary>ClientHello, ServerHello, or None when not even the handshake type was read.</summary>
    public TlsHelloKind Kind { get; }

    /// <summary>The ClientHello when <see cref="Kind"/> is ClientHello.</summary>
    public TlsClientHello? Client { get; }

    /// <summary>The ServerHello when <see cref="Kind"/> is ServerHello.</summary>
    public TlsServerHello? Server { get; }

    /// <summary>The first record's legacy version (0x0301 from most clients, 0x0303 from servers); 0 when absent.</summary>
    public ushort RecordVersion { get; }

    /// <summary>Handshake records the hello was read from (1 unless it was split; 0 without a record layer).</summary>
    public int Records { get; }

    /// <summary>The hello's announced body length; -1 when its header was not there.</summary>
    public int HandshakeLength { get; }

    /// <summary>The problem that stopped the parse, else the first problem met, else <see cref="TlsParseError.None"/>.</summary>
    public TlsParseError Error { get; }

    /// <summary>The input offset where <see cref="Error"/> was found; -1 when there was none.</summary>
    public int ErrorOffset { get; }

    /// <summary>
    /// <see cref="Error"/> as a full sentence, or null when there was none. Positions inside the hello are given as
    /// "hello byte N", counted from the handshake message's type byte (records may split it).
    /// </summary>
    public string? Reason { get; }

    /// <summary>True when the hello was read completely and without problems.</summary>
    public bool IsComplete => Error == TlsParseError.None;
}
