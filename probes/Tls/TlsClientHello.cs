namespace OsqueryBpf.Tls;

/// <summary>
/// A ClientHello (RFC 8446 section 4.1.2, RFC 5246 section 7.4.1.2) as far as it could be read. Fields that
/// were not reached (the parse stopped earlier) are 0 or empty, never null, except <see cref="ServerName"/>.
/// Lists keep the wire order and GREASE values (RFC 8701); <see cref="TlsNames.IsGrease"/> tells them apart.
/// </summary>
public sealed class TlsClientHello
{
    internal TlsClientHello() { }

    /// <summary>legacy_version: 0x0303 for TLS 1.2 and 1.3 clients (1.3 is offered in <see cref="SupportedVersions"/>).</summary>
    public ushort LegacyVersion { get; internal set; }

    /// <summary>The 32-byte random; empty when not reached.</summary>
    public byte[] Random { get; internal set; } = [];

    /// <summary>legacy_session_id (0-32 bytes; TLS 1.3 clients send 32 random bytes for middlebox compatibility).</summary>
    public byte[] SessionId { get; internal set; } = [];

    /// <summary>The cipher suites offered, in the client's order, GREASE included.</summary>
    public ushort[] CipherSuites { get; internal set; } = [];

    /// <summary>legacy_compression_methods (a single 0, "null", from any current client).</summary>
    public byte[] CompressionMethods { get; internal set; } = [];

    /// <summary>The type of every extension, in the client's order, GREASE included.</summary>
    public ushort[] Extensions { get; internal set; } = [];

    /// <summary>
    /// The first host_name of server_name (SNI, RFC 6066 section 3), escaped like a DNS name
    /// (<see cref="TlsText.HostName"/>); null when there is none.
    /// </summary>
    public string? ServerName { get; internal set; }

    /// <summary>The protocols offered in application_layer_protocol_negotiation (RFC 7301), escaped (<see cref="TlsText.AlpnProtocol"/>).</summary>
    public string[] Alpn { get; internal set; } = [];

    /// <summary>The versions offered in supported_versions (RFC 8446 section 4.2.1), GREASE included.</summary>
    public ushort[] SupportedVersions { get; internal set; } = [];

    /// <summary>signature_algorithms (RFC 8446 section 4.2.3), in the client's order.</summary>
    public ushort[] SignatureAlgorithms { get; internal set; } = [];

    /// <summary>supported_groups (RFC 8446 section 4.2.7; "elliptic_curves" before TLS 1.3), GREASE included.</summary>
    public ushort[] SupportedGroups { get; internal set; } = [];

    /// <summary>ec_point_formats (RFC 8422 section 5.1.2).</summary>
    public byte[] EcPointFormats { get; internal set; } = [];

    /// <summary>True when the extensions include server_name (0), whether or not its content could be read.</summary>
    public bool HasServerNameExtension => Array.IndexOf(Extensions, TlsNames.ExtensionServerName) >= 0;

    /// <summary>True when the extensions include supported_versions (43).</summary>
    public bool HasSupportedVersionsExtension => Array.IndexOf(Extensions, TlsNames.ExtensionSupportedVersions) >= 0;

    /// <summary>The highest version offered, ignoring GREASE: from supported_versions when present, else legacy_version.</summary>
    public ushort HighestVersion
    {
        get
        {
            if (!HasSupportedVersionsExtension)
                return LegacyVersion;
            ushort highest = 0;
            foreach (var v in SupportedVersions)
            {
                if (!TlsNames.IsGrease(v) && v > highest)
                    highest = v;
            }
            return highest;
        }
    }

    /// <summary>The first ALPN protocol's length and its first and last bytes, unescaped, as JA4 needs them.</summary>
    internal int FirstAlpnLength { get; set; }

    internal byte FirstAlpnFirst { get; set; }

    internal byte FirstAlpnLast { get; set; }
}
