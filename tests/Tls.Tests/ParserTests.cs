using Xunit;

namespace OsqueryBpf.Tls.Tests;

/// <summary>Well-formed hellos: every field read, in every record layout.</summary>
public class ParserTests
{
    [Fact]
    public void A_browser_like_client_hello_reads_completely()
    {
        var bytes = SampleHellos.Browser().ClientHelloRecord();
        var r = TlsHello.Parse(bytes);
        Assert.True(r.IsComplete, r.Reason);
        Assert.Equal(-1, r.ErrorOffset);
        Assert.Equal(TlsHelloKind.ClientHello, r.Kind);
        Assert.Equal(0x0301, r.RecordVersion);
        Assert.Equal(1, r.Records);
        Assert.Equal(bytes.Length - 9, r.HandshakeLength);
        var h = r.Client!;
        Assert.Equal(0x0303, h.LegacyVersion);
        Assert.Equal(Enumerable.Range(1, 32).Select(i => (byte)i), h.Random);
        Assert.Equal(32, h.SessionId.Length);
        Assert.Equal(16, h.CipherSuites.Length);
        Assert.Equal(0x4a4a, h.CipherSuites[0]);
        Assert.Equal([(byte)0], h.CompressionMethods);
        Assert.Equal(16, h.Extensions.Length);
        Assert.Equal(0x2a2a, h.Extensions[0]);
        Assert.Equal("www.example.com", h.ServerName);
        Assert.Equal(["h2", "http/1.1"], h.Alpn);
        Assert.Equal([(ushort)0x5a5a, 0x0304, 0x0303], h.SupportedVersions);
        Assert.Equal(0x0304, h.HighestVersion);
        Assert.Equal([(ushort)0x3a3a, 0x001d, 0x0017, 0x0018], h.SupportedGroups);
        Assert.Equal(8, h.SignatureAlgorithms.Length);
        Assert.Equal([(byte)0], h.EcPointFormats);
        // The cipher suites are the JA4 definition's example plus GREASE: its cipher hash; 14 extensions without GREASE.
        Assert.StartsWith("t13d1514h2_8daaf6152771_", Ja4.Fingerprint(h));
        Assert.Equal(IndependentJa4.FromStream(bytes), Ja4.Fingerprint(h));
    }

    [Fact]
    public void The_hello_reads_the_same_from_records_of_any_size()
    {
        var message = SampleHellos.Browser().ClientHelloMessage();
        var whole = TlsHello.Parse(HelloBuilder.Records(message, int.MaxValue));
        for (int fragment = 1; fragment <= message.Length; fragment++)
        {
            var stream = HelloBuilder.Records(message, fragment);
            var r = TlsHello.Parse(stream);
            Assert.True(r.IsComplete, $"fragment {fragment}: {r.Reason}");
            Assert.Equal((message.Length + fragment - 1) / fragment, r.Records);
            Assert.Equal(Ja4.RawOriginalOrder(whole.Client!), Ja4.RawOriginalOrder(r.Client!));
            Assert.Equal(whole.Client!.ServerName, r.Client!.ServerName);
            var framing = TlsRecordLayer.Measure(stream);
            Assert.Equal(TlsFramingStatus.Complete, framing.Status);
            Assert.Equal(stream.Length, framing.Length);
        }
    }

    [Fact]
    public void Bytes_after_the_hello_are_not_needed()
    {
        // A ServerHello and a Certificate in one record, then application data: the hello ends mid-record.
        var server = SampleHellos.ServerHello12();
        var certificate = HelloBuilder.Message(11, new byte[300]);
        var hello = server[5..];
        var record = HelloBuilder.Records([.. hello, .. certificate], int.MaxValue, 0x0303);
        var stream = record.Concat(new byte[] { 23, 3, 3, 0, 2, 9, 9 }).ToArray();
        var framing = TlsRecordLayer.Measure(stream);
        Assert.Equal(TlsFramingStatus.Complete, framing.Status);
        Assert.Equal(5 + hello.Length, framing.Length);
        // Cut right after the hello, mid-record, it still reads completely.
        var r = TlsHello.Parse(stream.AsSpan(0, framing.Length));
        Assert.True(r.IsComplete, r.Reason);
        Assert.Equal(0xc02f, r.Server!.CipherSuite);
        Assert.Equal("h2", r.Server.Alpn);
        Assert.Equal(0x0303, r.Server.Version);
        Assert.False(r.Server.IsHelloRetryRequest);
    }

    [Fact]
    public void A_tls13_server_hello_and_a_hello_retry_request()
    {
        var r = TlsHello.Parse(SampleHellos.ServerHello13());
        Assert.True(r.IsComplete, r.Reason);
        Assert.Equal(TlsHelloKind.ServerHello, r.Kind);
        Assert.Equal(0x0303, r.Server!.LegacyVersion);
        Assert.Equal(0x0304, r.Server.SelectedVersion);
        Assert.Equal(0x0304, r.Server.Version);
        Assert.Equal("TLS_AES_128_GCM_SHA256", TlsNames.CipherSuite(r.Server.CipherSuite));
        Assert.Equal([(ushort)0x0033, 0x002b], r.Server.Extensions);

        var retry = new HelloBuilder
        {
            Random = Convert.FromHexString("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C"),
        }.Extension(43, [3, 4]).Extension(0x0033, [0, 0x17]).ServerHelloMessage(0x1302);
        var hrr = TlsHello.Parse(HelloBuilder.Records(retry, int.MaxValue, 0x0303));
        Assert.True(hrr.IsComplete, hrr.Reason);
        Assert.True(hrr.Server!.IsHelloRetryRequest);
    }

    [Fact]
    public void A_hello_without_extensions_is_complete()
    {
        var r = TlsHello.Parse(new HelloBuilder { OmitExtensions = true, LegacyVersion = 0x0301 }.ClientHelloRecord());
        Assert.True(r.IsComplete, r.Reason);
        Assert.Empty(r.Client!.Extensions);
        var cipherHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("1301,1302,c02b"u8))[..12].ToLowerInvariant();
        Assert.Equal($"t10i030000_{cipherHash}_000000000000", Ja4.Fingerprint(r.Client));
        // An empty extensions block (length 0) is also fine.
        var empty = TlsHello.Parse(new HelloBuilder().ClientHelloRecord());
        Assert.True(empty.IsComplete, empty.Reason);
        Assert.Empty(empty.Client!.Extensions);
    }

    [Fact]
    public void A_handshake_message_parses_without_a_record_layer()
    {
        var message = SampleHellos.Browser().ClientHelloMessage();
        var r = TlsHello.ParseHandshake(message);
        Assert.True(r.IsComplete, r.Reason);
        Assert.Equal(0, r.Records);
        Assert.Equal("www.example.com", r.Client!.ServerName);
        var cut = TlsHello.ParseHandshake(message.AsSpan(0, 50));
        Assert.Equal(TlsParseError.Truncated, cut.Error);
        Assert.Equal(50, cut.ErrorOffset);
        Assert.Equal(TlsParseError.NotHello, TlsHello.ParseHandshake([11, 0, 0, 0]).Error);
        Assert.Equal(TlsParseError.Empty, TlsHello.ParseHandshake([]).Error);
        Assert.Equal(TlsParseError.Truncated, TlsHello.ParseHandshake([1, 0]).Error);
    }

    [Theory]
    [InlineData("www.example.com", "www.example.com")]
    [InlineData("a b", "a\\032b")]
    [InlineData("semi;colon", "semi\\;colon")]
    [InlineData("back\\slash\"quote", "back\\\\slash\\\"quote")]
    [InlineData("caf\u00e9", "caf\\195\\169")]
    [InlineData("nul\0.x", "nul\\000.x")]
    [InlineData("tab\tnew\nline", "tab\\009new\\010line")]
    [InlineData("($@)", "\\(\\$\\@\\)")]
    public void Hostile_server_names_are_escaped_like_dns_names(string sent, string shown)
    {
        var r = TlsHello.Parse(new HelloBuilder().ServerName(System.Text.Encoding.UTF8.GetBytes(sent)).ClientHelloRecord());
        Assert.True(r.IsComplete, r.Reason);
        Assert.Equal(shown, r.Client!.ServerName);
        Assert.All(shown, c => Assert.InRange(c, '!', '~'));
    }

    [Fact]
    public void Alpn_protocols_are_escaped_so_the_column_splits_on_commas()
    {
        byte[][] protocols = ["h2"u8.ToArray(), "a,b"u8.ToArray(), "c\\d"u8.ToArray(), [0xff, 0x20], "http/1.1"u8.ToArray()];
        var r = TlsHello.Parse(new HelloBuilder().AlpnBytes(protocols).ClientHelloRecord());
        Assert.True(r.IsComplete, r.Reason);
        Assert.Equal(["h2", "a\\,b", "c\\\\d", "\\255\\032", "http/1.1"], r.Client!.Alpn);
        var column = TlsEventFields.From(r).Alpn;
        Assert.Equal(5, System.Text.RegularExpressions.Regex.Split(column, @"(?<!\\),").Length);
    }

    [Fact]
    public void Version_and_cipher_names()
    {
        Assert.Equal("TLS 1.3", TlsNames.Version(0x0304));
        Assert.Equal("GREASE", TlsNames.Version(0x7a7a));
        Assert.Equal("TLS 1.3 draft 28", TlsNames.Version(0x7f1c));
        Assert.Equal("0x0305", TlsNames.Version(0x0305));
        Assert.Equal("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", TlsNames.CipherSuite(0xc02f));
        Assert.Equal("0xabcd", TlsNames.CipherSuite(0xabcd));
        var grease = Enumerable.Range(0, 65536).Where(v => TlsNames.IsGrease((ushort)v)).ToArray();
        Assert.Equal(Enumerable.Range(0, 16).Select(i => i * 0x1010 + 0x0a0a), grease);
    }

    [Fact]
    public void Event_fields_join_client_and_server()
    {
        var client = TlsHello.Parse(SampleHellos.Browser().ClientHelloRecord());
        var server = TlsHello.Parse(SampleHellos.ServerHello13());
        var f = TlsEventFields.From(client, server);
        Assert.Equal("www.example.com", f.ServerName);
        Assert.Equal("h2,http/1.1", f.Alpn);
        Assert.Equal("TLS 1.3,TLS 1.2", f.VersionsOffered);
        Assert.Equal("TLS 1.3", f.Version);
        Assert.Equal(15, f.CipherCount);
        Assert.Equal("TLS_AES_128_GCM_SHA256", f.Cipher);
        Assert.Equal(Ja4.Fingerprint(client.Client!), f.Ja4);
        Assert.False(f.ProbeError);
        Assert.Equal("", f.ParseProblem);

        var alone = TlsEventFields.From(client);
        Assert.Equal("", alone.Version);
        Assert.Equal("", alone.Cipher);
        Assert.False(alone.ProbeError);
    }
}
