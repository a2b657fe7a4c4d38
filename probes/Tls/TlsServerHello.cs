namespace OsqueryBpf.Tls;

/// <summary>
/// A ServerHello (RFC 8446 section 4.1.3) as far as it could be read; fields not reached are 0 or empty.
/// A HelloRetryRequest is a ServerHello with a fixed random, flagged by <see cref="IsHelloRetryRequest"/>.
/// </summary>
public sealed class TlsServerHello
{
    internal TlsServerHello() { }

    /// <summary>legacy_version: the negotiated version up to TLS 1.2; 0x0303 from a TLS 1.3 server.</summary>
    public ushort LegacyVersion { get; internal set; }

    /// <summary>The 32-byte random; empty when not reached.</summary>
    public byte[] Random { get; internal set; } = [];

    /// <summary>legacy_session_id_echo.</summary>
    public byte[] SessionId { get; internal set; } = [];

    /// <summary>The cipher suite chosen; 0 when not reached (0x0000 is never negotiated).</summary>
    public ushort CipherSuite { get; internal set; }

    /// <summary>legacy_compression_method.</summary>
    public byte CompressionMethod { get; internal set; }

    /// <summary>The type of every extension, in the server's order.</summary>
    public ushort[] Extensions { get; internal set; } = [];

    /// <summary>supported_versions' selected_version (TLS 1.3); 0 when absent.</summary>
    public ushort SelectedVersion { get; internal set; }

    /// <summary>The protocol the server chose from the client's ALPN list, escaped; null when absent.</summary>
    public string? Alpn { get; internal set; }

    /// <summary>True for a HelloRetryRequest (the random is SHA-256 of "HelloRetryRequest", RFC 8446 section 4.1.3).</summary>
    public bool IsHelloRetryRequest { get; internal set; }

    /// <summary>The negotiated version: <see cref="SelectedVersion"/> when present, else <see cref="LegacyVersion"/>.</summary>
    public ushort Version => SelectedVersion != 0 ? SelectedVersion : LegacyVersion;
}
