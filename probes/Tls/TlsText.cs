namespace OsqueryBpf.Tls;

/// <summary>
/// Text forms of the names a client sends, which are bytes chosen by whoever wrote the ClientHello. Every
/// output is 7-bit printable ASCII, reversible, and equal to the bytes when they are an ordinary name.
/// </summary>
public static class TlsText
{
    /// <summary>
    /// A host name (SNI) escaped like the DNS table's names (RFC 1035 section 5.1, as dig prints them), so the
    /// same bytes give the same text in ebpf_tls_events.server_name and ebpf_dns_events.name: bytes 0x21-0x7E
    /// as they are, except <c>; \ " ( ) @ $</c>, which get a backslash; anything else (space, control bytes,
    /// 0x7F-0xFF, UTF-8) as <c>\DDD</c> with its decimal value. Dots stay dots: they separate the labels.
    /// </summary>
    public static string HostName(ReadOnlySpan<byte> name) => Escape(name, alpn: false);

    /// <summary>
    /// One ALPN protocol id: bytes 0x21-0x7E as they are, except <c>\</c> and <c>,</c>, which get a backslash (the
    /// alpn column joins protocols with commas); anything else as <c>\DDD</c>. "h2" stays "h2".
    /// </summary>
    public static string AlpnProtocol(ReadOnlySpan<byte> protocol) => Escape(protocol, alpn: true);

    private static bool NeedsBackslash(byte b, bool alpn) => alpn
        ? b is (byte)'\\' or (byte)','
        : b is (byte)';' or (byte)'\\' or (byte)'"' or (byte)'(' or (byte)')' or (byte)'@' or (byte)'$';

    private static string Escape(ReadOnlySpan<byte> bytes, bool alpn)
    {
        int length = 0;
        foreach (var b in bytes)
            length += b is <= 0x20 or >= 0x7F ? 4 : NeedsBackslash(b, alpn) ? 2 : 1;
        if (length == 0)
            return "";
        Span<char> chars = length <= 1024 ? stackalloc char[length] : new char[length];
        int at = 0;
        foreach (var b in bytes)
        {
            if (b is <= 0x20 or >= 0x7F)
            {
                chars[at++] = '\\';
                chars[at++] = (char)('0' + b / 100);
                chars[at++] = (char)('0' + b / 10 % 10);
                chars[at++] = (char)('0' + b % 10);
                continue;
            }
            if (NeedsBackslash(b, alpn))
                chars[at++] = '\\';
            chars[at++] = (char)b;
        }
        return new string(chars);
    }
}
