using Xunit;

namespace OsqueryBpf.Tls.Tests;

/// <summary>
/// JA4 against the worked example and the rules in FoxIO's definition (technical_details/JA4.md in
/// github.com/FoxIO-LLC/ja4), against the JA4 the FoxIO tools report for the ClientHellos of their test captures
/// (rust/ja4/src/snapshots), and against the framework's SHA-256.
/// </summary>
public class Ja4Tests
{
    // The definition's example: ciphers, extensions and signature algorithms in the hello's order.
    private static readonly ushort[] ExampleCiphers =
        [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];

    private static readonly ushort[] ExampleExtensions =
        [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015];

    private static readonly ushort[] ExampleSignatures = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

    /// <summary>A ClientHello with exactly the given lists, through the real parser.</summary>
    internal static TlsClientHello Hello(ushort[] ciphers, ushort[] extensions, ushort[] signatures, ushort version = 0x0304,
        string[]? alpn = null, byte[][]? alpnBytes = null, ushort legacyVersion = 0x0303)
    {
        var b = new HelloBuilder { LegacyVersion = legacyVersion, CipherSuites = [.. ciphers] };
        foreach (var type in extensions)
        {
            switch (type)
            {
                case 0x0000: b.ServerName("example.com"); break;
                case 0x0010:
                    if (alpnBytes is not null) b.AlpnBytes(alpnBytes);
                    else b.Alpn(alpn ?? ["h2"]);
                    break;
                case 0x000d when signatures.Length > 0: b.SignatureAlgorithms(signatures); break;
                case 0x002b: b.SupportedVersions(version); break;
                default: b.Extension(type, []); break;
            }
        }
        var result = TlsHello.Parse(b.ClientHelloRecord());
        Assert.True(result.IsComplete || result.Error == TlsParseError.BadExtension, result.Reason);
        return result.Client!;
    }

    [Fact]
    public void The_definitions_example_gives_its_fingerprints()
    {
        var hello = Hello(ExampleCiphers, ExampleExtensions, ExampleSignatures);
        Assert.Equal("t13d1516h2_8daaf6152771_e5627efa2ab1", Ja4.Fingerprint(hello));
        Assert.Equal("t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_" +
                     "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
            Ja4.Raw(hello));
        Assert.Equal("t13d1516h2_acb858a92679_18f69afefd3d", Ja4.FingerprintOriginalOrder(hello));
        Assert.Equal("t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_" +
                     "001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601",
            Ja4.RawOriginalOrder(hello));
    }

    [Fact]
    public void Without_signature_algorithms_the_extension_list_is_hashed_alone()
    {
        // The definition's second example: the same extensions, no signature algorithms: 6d807ffa2a79.
        var hello = Hello(ExampleCiphers, ExampleExtensions, []);
        Assert.EndsWith("_6d807ffa2a79", Ja4.Fingerprint(hello));
        Assert.EndsWith("_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01", Ja4.Raw(hello));
    }

    [Fact]
    public void Grease_is_ignored_in_every_list_and_count()
    {
        var plain = Hello(ExampleCiphers, ExampleExtensions, ExampleSignatures);
        var greased = Hello([0x0a0a, .. ExampleCiphers, 0xfafa], [0x1a1a, .. ExampleExtensions, 0x2a2a], [0x3a3a, .. ExampleSignatures]);
        Assert.Equal(Ja4.Fingerprint(plain), Ja4.Fingerprint(greased));
        Assert.Equal(Ja4.RawOriginalOrder(plain), Ja4.RawOriginalOrder(greased));
        Assert.Equal(17, greased.CipherSuites.Length);
    }

    [Fact]
    public void Version_comes_from_supported_versions_when_present()
    {
        // Highest non-GREASE value of supported_versions; legacy_version only without the extension.
        var b = new HelloBuilder { LegacyVersion = 0x0303 }.SupportedVersions(0x7a7a, 0x0302, 0x0304, 0x0303);
        Assert.StartsWith("t13i", Ja4.Fingerprint(TlsHello.Parse(b.ClientHelloRecord()).Client!));
        Assert.StartsWith("t12i", Ja4.Fingerprint(TlsHello.Parse(new HelloBuilder { LegacyVersion = 0x0303 }.ClientHelloRecord()).Client!));
        Assert.StartsWith("t10i", Ja4.Fingerprint(TlsHello.Parse(new HelloBuilder { LegacyVersion = 0x0301 }.ClientHelloRecord()).Client!));
        Assert.StartsWith("t00i", Ja4.Fingerprint(TlsHello.Parse(new HelloBuilder { LegacyVersion = 0x0305 }.ClientHelloRecord()).Client!));
        Assert.StartsWith("ts3i", Ja4.Fingerprint(TlsHello.Parse(new HelloBuilder { LegacyVersion = 0x0300 }.ClientHelloRecord()).Client!));
        Assert.StartsWith("q13i", Ja4.Fingerprint(TlsHello.Parse(b.ClientHelloRecord()).Client!, 'q'));
        Assert.Equal("d2", Ja4.VersionCode(0xfefd));
    }

    [Theory]
    // The definition's ALPN table: first and last characters, or hex digits when an end is not alphanumeric.
    [InlineData(new byte[] { 0xAB }, "ab")]
    [InlineData(new byte[] { 0x20 }, "20")]
    [InlineData(new byte[] { 0xAB, 0xCD }, "ad")]
    [InlineData(new byte[] { 0x20, 0x61 }, "21")]
    [InlineData(new byte[] { 0x30, 0xAB }, "3b")]
    [InlineData(new byte[] { 0x61, 0x20 }, "60")]
    [InlineData(new byte[] { 0x30, 0x31, 0xAB, 0xCD }, "3d")]
    [InlineData(new byte[] { 0x30, 0xAB, 0xCD, 0x31 }, "01")]
    [InlineData(new byte[] { (byte)'h', (byte)'2' }, "h2")]
    [InlineData(new byte[] { (byte)'h', (byte)'t', (byte)'t', (byte)'p', (byte)'/', (byte)'1', (byte)'.', (byte)'1' }, "h1")]
    [InlineData(new byte[] { (byte)'x' }, "xx")]
    public void Alpn_characters_follow_the_definition(byte[] protocol, string expected)
    {
        var hello = Hello(ExampleCiphers, [0x0010], [], alpnBytes: [protocol, "h2"u8.ToArray()]);
        Assert.Equal(expected, Ja4.Fingerprint(hello).Substring(8, 2));
    }

    [Fact]
    public void No_alpn_or_an_empty_first_protocol_gives_00()
    {
        Assert.Equal("00", Ja4.Fingerprint(Hello(ExampleCiphers, [0x000a], [])).Substring(8, 2));
        // An empty protocol name is malformed (RFC 7301) and flagged, and JA4 shows 00 for it.
        var b = new HelloBuilder().Extension(16, [0, 3, 0, 1, (byte)'a']);
        var result = TlsHello.Parse(b.ClientHelloRecord());
        Assert.Equal(TlsParseError.BadExtension, result.Error);
        Assert.Equal("00", Ja4.Fingerprint(result.Client!).Substring(8, 2));
    }

    [Fact]
    public void Counts_stop_at_99_and_empty_lists_hash_to_zeros()
    {
        var many = Enumerable.Range(1, 120).Select(i => (ushort)(0x1000 + i)).ToArray();
        var hello = Hello(many, many.Select(i => (ushort)(i + 0x1000)).ToArray(), []);
        Assert.Equal("t12i9999", Ja4.Fingerprint(hello)[..8]);

        var none = TlsHello.Parse(new HelloBuilder { CipherSuites = [], OmitExtensions = true }.ClientHelloRecord());
        Assert.Equal(TlsParseError.BadLength, none.Error); // an empty cipher suite list is flagged...
        Assert.Equal("t12i000000_000000000000_000000000000", Ja4.Fingerprint(none.Client!)); // ...and fingerprinted
        Assert.Equal("t12i000000__", Ja4.Raw(none.Client!));
    }

    [Fact]
    public void Sni_marks_d_whether_or_not_its_content_reads()
    {
        var b = new HelloBuilder().Extension(0, [0, 9, 0]); // a malformed server_name
        var result = TlsHello.Parse(b.ClientHelloRecord());
        Assert.Equal(TlsParseError.BadExtension, result.Error);
        Assert.Null(result.Client!.ServerName);
        Assert.Equal('d', Ja4.Fingerprint(result.Client)[3]);
    }

    [Fact]
    public void Sha256_matches_the_frameworks()
    {
        var rng = new Random(7);
        Span<byte> ours = stackalloc byte[32];
        foreach (var length in Enumerable.Range(0, 300).Concat([511, 512, 1000, 4096, 10_000]))
        {
            var data = new byte[length];
            rng.NextBytes(data);
            Sha256.Hash(data, ours);
            Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data)), Convert.ToHexString(ours));
        }
        // JA4's own check value for its hash helper (rust/ja4/src/lib.rs test_hash12).
        Sha256.Hash("551d0f,551d25,551d11"u8, ours);
        Assert.StartsWith("aae71e8db6d7", Convert.ToHexString(ours).ToLowerInvariant());
    }
}
