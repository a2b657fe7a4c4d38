using System.Buffers;
using System.Text;

namespace OsqueryBpf.Tls;

/// <summary>
/// JA4, FoxIO's TLS client fingerprint (github.com/FoxIO-LLC/ja4, technical_details/JA4.md), from a ClientHello:
/// <c>a_b_c</c> where
/// <list type="bullet">
/// <item>a (10 characters): <c>t</c> (TLS over TCP; <c>q</c> QUIC, <c>d</c> DTLS), the version (the highest
/// supported_versions value when that extension is there, else legacy_version: 13, 12, 11, 10, s3, s2, d1, d2,
/// d3, otherwise 00), <c>d</c> when server_name is present else <c>i</c>, the cipher suite and extension counts
/// (two digits each, at most 99), and the first and last characters of the first ALPN protocol (00 without one;
/// the first and last hex digits of the protocol when either end byte is not an ASCII letter or digit);</item>
/// <item>b: the first 12 hex digits of SHA-256 over the cipher suites as 4-digit lower-case hex, sorted, comma
/// separated (000000000000 when there are none);</item>
/// <item>c: the same over the extensions, sorted, without server_name (0000) and ALPN (0010), then, when the
/// hello has signature algorithms, an underscore and those in the hello's order.</item>
/// </list>
/// GREASE values (RFC 8701) are left out everywhere, counts included. The raw form (ja4_r) shows the lists
/// instead of their hashes; the "original order" forms (ja4_o, ja4_ro) keep the hello's order and keep
/// server_name and ALPN in the extension list.
/// <para>
/// Where FoxIO's implementations differ from the written definition, this follows the definition: a first ALPN
/// protocol of one byte gives that character twice (the Rust tool gives it and 0); a protocol whose first or last
/// byte is not alphanumeric gives hex digits (the Rust, Python and Wireshark tools give 99 when the first
/// character is not ASCII); GREASE values are dropped from the signature algorithms too (the tools keep them;
/// no common client sends any there).
/// </para>
/// </summary>
public static class Ja4
{
    /// <summary>What JA4 shows for the hash of an empty list.</summary>
    public const string EmptyHash = "000000000000";

    /// <summary>JA4: <c>t13d1516h2_8daaf6152771_e5627efa2ab1</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="transport"/> is not t, q or d.</exception>
    public static string Fingerprint(TlsClientHello hello, char transport = 't') => Build(hello, transport, hashed: true, originalOrder: false);

    /// <summary>JA4_r: the sorted lists in full instead of their hashes.</summary>
    public static string Raw(TlsClientHello hello, char transport = 't') => Build(hello, transport, hashed: false, originalOrder: false);

    /// <summary>JA4_o: like JA4 but the lists in the hello's order, server_name and ALPN kept.</summary>
    public static string FingerprintOriginalOrder(TlsClientHello hello, char transport = 't') => Build(hello, transport, hashed: true, originalOrder: true);

    /// <summary>JA4_ro: the raw form in the hello's order, server_name and ALPN kept.</summary>
    public static string RawOriginalOrder(TlsClientHello hello, char transport = 't') => Build(hello, transport, hashed: false, originalOrder: true);

    /// <summary>The two characters JA4 uses for a protocol version.</summary>
    public static string VersionCode(ushort version) => version switch
    {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xFEFF => "d1",
        0xFEFD => "d2",
        0xFEFC => "d3",
        _ => "00",
    };

    private static string Build(TlsClientHello hello, char transport, bool hashed, bool originalOrder)
    {
        if (transport is not ('t' or 'q' or 'd'))
            throw new ArgumentOutOfRangeException(nameof(transport), transport, "JA4's transport is t (TCP), q (QUIC) or d (DTLS).");

        var ciphers = ArrayPool<ushort>.Shared.Rent(hello.CipherSuites.Length);
        var extensions = ArrayPool<ushort>.Shared.Rent(hello.Extensions.Length);
        var signatures = ArrayPool<ushort>.Shared.Rent(hello.SignatureAlgorithms.Length);
        byte[]? text = null;
        try
        {
            int cipherCount = WithoutGrease(hello.CipherSuites, ciphers);
            int extensionCount = WithoutGrease(hello.Extensions, extensions);
            int signatureCount = WithoutGrease(hello.SignatureAlgorithms, signatures);
            // The counts include server_name and ALPN; the hashed list does not (they are in part a).
            int listed = extensionCount;
            if (!originalOrder)
            {
                listed = 0;
                for (int i = 0; i < extensionCount; i++)
                {
                    if (extensions[i] is not (TlsNames.ExtensionServerName or TlsNames.ExtensionAlpn))
                        extensions[listed++] = extensions[i];
                }
                Array.Sort(ciphers, 0, cipherCount);
                Array.Sort(extensions, 0, listed);
            }

            Span<char> a = stackalloc char[10];
            a[0] = transport;
            VersionCode(hello.HighestVersion).CopyTo(a[1..]);
            a[3] = hello.HasServerNameExtension ? 'd' : 'i';
            TwoDigits(Math.Min(cipherCount, 99), a[4..]);
            TwoDigits(Math.Min(extensionCount, 99), a[6..]);
            AlpnCharacters(hello, a[8..]);

            // "xxxx,xxxx" for the ciphers, then "xxxx,xxxx" or "xxxx,xxxx_ssss,ssss" for extensions and signatures.
            int cipherText = ListLength(cipherCount);
            int extensionText = ListLength(listed) + (signatureCount > 0 ? 1 + ListLength(signatureCount) : 0);
            text = ArrayPool<byte>.Shared.Rent(Math.Max(1, cipherText + extensionText));
            WriteList(ciphers.AsSpan(0, cipherCount), text);
            int written = WriteList(extensions.AsSpan(0, listed), text.AsSpan(cipherText));
            if (signatureCount > 0)
            {
                text[cipherText + written] = (byte)'_';
                WriteList(signatures.AsSpan(0, signatureCount), text.AsSpan(cipherText + written + 1));
            }
            var b = text.AsSpan(0, cipherText);
            var c = text.AsSpan(cipherText, extensionText);

            if (hashed)
            {
                Span<char> result = stackalloc char[10 + 1 + 12 + 1 + 12];
                a.CopyTo(result);
                result[10] = '_';
                Hash12(b, result.Slice(11, 12));
                result[23] = '_';
                Hash12(c, result.Slice(24, 12));
                return new string(result);
            }
            var raw = new StringBuilder(10 + 2 + b.Length + c.Length);
            raw.Append(a).Append('_').Append(Encoding.ASCII.GetString(b)).Append('_').Append(Encoding.ASCII.GetString(c));
            return raw.ToString();
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(ciphers);
            ArrayPool<ushort>.Shared.Return(extensions);
            ArrayPool<ushort>.Shared.Return(signatures);
            if (text is not null)
                ArrayPool<byte>.Shared.Return(text);
        }
    }

    private static int WithoutGrease(ushort[] values, ushort[] into)
    {
        int n = 0;
        foreach (var v in values)
        {
            if (!TlsNames.IsGrease(v))
                into[n++] = v;
        }
        return n;
    }

    // The first and last characters of the first ALPN protocol; hex digits when either end is not [0-9A-Za-z].
    private static void AlpnCharacters(TlsClientHello hello, Span<char> into)
    {
        if (hello.FirstAlpnLength == 0)
        {
            into[0] = '0';
            into[1] = '0';
            return;
        }
        byte first = hello.FirstAlpnFirst, last = hello.FirstAlpnLast;
        if (char.IsAsciiLetterOrDigit((char)first) && char.IsAsciiLetterOrDigit((char)last))
        {
            into[0] = (char)first;
            into[1] = (char)last;
            return;
        }
        into[0] = HexDigit(first >> 4);
        into[1] = HexDigit(last & 0xF);
    }

    private static int ListLength(int count) => count == 0 ? 0 : 5 * count - 1;

    private static int WriteList(ReadOnlySpan<ushort> values, Span<byte> into)
    {
        int at = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0)
                into[at++] = (byte)',';
            ushort v = values[i];
            into[at++] = (byte)HexDigit(v >> 12);
            into[at++] = (byte)HexDigit((v >> 8) & 0xF);
            into[at++] = (byte)HexDigit((v >> 4) & 0xF);
            into[at++] = (byte)HexDigit(v & 0xF);
        }
        return at;
    }

    private static void Hash12(ReadOnlySpan<byte> text, Span<char> into)
    {
        if (text.IsEmpty)
        {
            EmptyHash.CopyTo(into);
            return;
        }
        Span<byte> digest = stackalloc byte[32];
        Sha256.Hash(text, digest);
        for (int i = 0; i < 6; i++)
        {
            into[2 * i] = HexDigit(digest[i] >> 4);
            into[2 * i + 1] = HexDigit(digest[i] & 0xF);
        }
    }

    private static void TwoDigits(int value, Span<char> into)
    {
        into[0] = (char)('0' + value / 10);
        into[1] = (char)('0' + value % 10);
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);
}
