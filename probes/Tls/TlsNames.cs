namespace OsqueryBpf.Tls;

/// <summary>Code points of the TLS registries that the parser and the table use, and their text forms.</summary>
public static class TlsNames
{
    /// <summary>server_name (RFC 6066).</summary>
    public const ushort ExtensionServerName = 0;

    /// <summary>supported_groups (RFC 8446; elliptic_curves in RFC 4492).</summary>
    public const ushort ExtensionSupportedGroups = 10;

    /// <summary>ec_point_formats (RFC 8422).</summary>
    public const ushort ExtensionEcPointFormats = 11;

    /// <summary>signature_algorithms (RFC 8446).</summary>
    public const ushort ExtensionSignatureAlgorithms = 13;

    /// <summary>application_layer_protocol_negotiation (RFC 7301).</summary>
    public const ushort ExtensionAlpn = 16;

    /// <summary>supported_versions (RFC 8446).</summary>
    public const ushort ExtensionSupportedVersions = 43;

    /// <summary>
    /// True for the 16 GREASE values of RFC 8701 (0x0A0A, 0x1A1A, ... 0xFAFA), which clients sprinkle into cipher
    /// suites, extensions, groups, versions and signature algorithms to keep servers tolerant of unknown values.
    /// </summary>
    public static bool IsGrease(ushort value) => (value & 0x0F0F) == 0x0A0A && (value >> 8) == (value & 0xFF);

    /// <summary>A protocol version as text: "TLS 1.3", "SSL 3.0", "GREASE", a TLS 1.3 draft, or "0x...." for others.</summary>
    public static string Version(ushort version) => version switch
    {
        0x0304 => "TLS 1.3",
        0x0303 => "TLS 1.2",
        0x0302 => "TLS 1.1",
        0x0301 => "TLS 1.0",
        0x0300 => "SSL 3.0",
        0x0002 => "SSL 2.0",
        _ when IsGrease(version) => "GREASE",
        >= 0x7F00 and <= 0x7F1C => $"TLS 1.3 draft {version & 0xFF}",
        _ => Hex(version),
    };

    /// <summary>A cipher suite's IANA name for the suites current clients and servers use, else "0x....".</summary>
    public static string CipherSuite(ushort suite) => suite switch
    {
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0x1304 => "TLS_AES_128_CCM_SHA256",
        0x1305 => "TLS_AES_128_CCM_8_SHA256",
        0xC02B => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xC02C => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xC02F => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xC030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xCCA8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xCCA9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xCCAA => "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xC009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xC00A => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xC013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xC014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xC023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        0xC024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        0xC027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0xC028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        0x009C => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009D => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x009E => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009F => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0x002F => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x003C => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x003D => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        0x000A => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        0x00FF => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        0x5600 => "TLS_FALLBACK_SCSV",
        _ when IsGrease(suite) => "GREASE",
        _ => Hex(suite),
    };

    /// <summary>"0x" and four lower-case hex digits.</summary>
    public static string Hex(ushort value) => $"0x{value:x4}";
}
