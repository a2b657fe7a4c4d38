using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.Tls.Tests;

/// <summary>
/// ClientHellos and ServerHellos made by real programs on loopback (openssl s_client and s_server, curl), captured
/// by a relay in the test: the parser reads what the client was told to send and what the server chose, JA4 equals
/// an independent computation from the same bytes, and the reassembler gives the same hello from the captured
/// bytes cut into segments at every offset and delivered in any order.
/// </summary>
public class RealClientTests(ITestOutputHelper output)
{
    private static string Ja4Of(byte[] clientStream) => Ja4.Fingerprint(TlsHello.Parse(clientStream).Client!);

    private (TlsHelloResult Client, TlsHelloResult Server) Parse(Capture capture)
    {
        var client = TlsHello.Parse(capture.ClientBytes);
        var server = TlsHello.Parse(capture.ServerBytes);
        output.WriteLine($"ClientHello: {client.HandshakeLength + 4} bytes in {client.Records} record(s), {capture.ClientReads.Count} read(s); " +
                         $"JA4 {(client.Client is null ? "-" : Ja4.Fingerprint(client.Client))}");
        output.WriteLine($"JA4_r {(client.Client is null ? "-" : Ja4.Raw(client.Client))}");
        Assert.True(client.IsComplete, client.Reason);
        Assert.True(server.IsComplete, server.Reason);
        Assert.Equal(TlsHelloKind.ClientHello, client.Kind);
        Assert.Equal(TlsHelloKind.ServerHello, server.Kind);
        return (client, server);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Openssl_tls13_with_sni_and_alpn(bool ipv6)
    {
        using var tls = new LoopbackTls();
        var capture = tls.OpensslHandshake("-servername www.openssl.test -alpn h2,http/1.1 -tls1_3", "-alpn h2", ipv6);
        var (client, server) = Parse(capture);
        var hello = client.Client!;
        Assert.Equal("www.openssl.test", hello.ServerName);
        Assert.Equal(["h2", "http/1.1"], hello.Alpn);
        Assert.Equal([(ushort)0x0304], hello.SupportedVersions);
        Assert.Equal(0x0303, hello.LegacyVersion);
        Assert.Equal(32, hello.SessionId.Length); // TLS 1.3 middlebox compatibility mode
        Assert.Contains((ushort)0x1301, hello.CipherSuites);
        Assert.NotEmpty(hello.SignatureAlgorithms);
        Assert.NotEmpty(hello.SupportedGroups);

        var reply = server.Server!;
        Assert.Equal(0x0304, reply.Version);
        Assert.Null(reply.Alpn); // TLS 1.3 sends the server's choice in EncryptedExtensions, out of sight
        // What s_client itself reports about the handshake: the version and cipher the ServerHello chose, the ALPN.
        Assert.Contains($"New, TLSv1.3, Cipher is {TlsNames.CipherSuite(reply.CipherSuite)}", capture.ClientOutput);
        Assert.Contains("ALPN protocol: h2", capture.ClientOutput);

        var fields = TlsEventFields.From(client, server);
        Assert.Equal("www.openssl.test", fields.ServerName);
        Assert.Equal("h2,http/1.1", fields.Alpn);
        Assert.Equal("TLS 1.3", fields.VersionsOffered);
        Assert.Equal("TLS 1.3", fields.Version);
        Assert.False(fields.ProbeError, fields.ParseProblem);
        Assert.Equal(IndependentJa4.FromStream(capture.ClientBytes), fields.Ja4);
        Assert.Matches("^t13d[0-9]{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$", fields.Ja4);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Openssl_tls12(bool ipv6)
    {
        using var tls = new LoopbackTls();
        var capture = tls.OpensslHandshake("-servername legacy.test -tls1_2 -alpn http/1.1", "-alpn http/1.1", ipv6);
        var (client, server) = Parse(capture);
        var hello = client.Client!;
        Assert.Equal("legacy.test", hello.ServerName);
        Assert.Equal(["http/1.1"], hello.Alpn);
        Assert.False(hello.HasSupportedVersionsExtension); // -tls1_2 offers 1.2 only, in legacy_version
        Assert.Equal(0x0303, hello.LegacyVersion);
        Assert.Equal([(byte)0], hello.CompressionMethods);
        Assert.NotEmpty(hello.EcPointFormats);

        var reply = server.Server!;
        Assert.Equal(0x0303, reply.Version);
        Assert.Equal("http/1.1", reply.Alpn); // up to TLS 1.2 the ServerHello carries the server's ALPN choice
        Assert.Contains($"New, TLSv1.2, Cipher is {OpensslName(reply.CipherSuite)}", capture.ClientOutput);

        var fields = TlsEventFields.From(client, server);
        Assert.Equal("TLS 1.2", fields.VersionsOffered);
        Assert.Equal("TLS 1.2", fields.Version);
        Assert.Equal("http/1.1", fields.Alpn);
        Assert.Equal("http/1.1", fields.AlpnSelected);
        Assert.StartsWith("t12d", fields.Ja4);
        Assert.Equal("h1", fields.Ja4.Substring(8, 2));
        Assert.Equal(IndependentJa4.FromStream(capture.ClientBytes), fields.Ja4);
    }

    [SkippableFact]
    public void Openssl_without_sni_to_an_address_marks_i()
    {
        using var tls = new LoopbackTls();
        var capture = tls.OpensslHandshake("-noservername -alpn http/1.1");
        var (client, _) = Parse(capture);
        Assert.Null(client.Client!.ServerName);
        var ja4 = Ja4Of(capture.ClientBytes);
        Assert.Equal('i', ja4[3]);
        Assert.Equal("h1", ja4.Substring(8, 2));
        Assert.Equal(IndependentJa4.FromStream(capture.ClientBytes), ja4);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Curl_against_a_local_https_server(bool ipv6)
    {
        using var tls = new LoopbackTls();
        var capture = tls.CurlRequest("curl.loopback.test", serverArgs: "-alpn http/1.1", ipv6: ipv6);
        var (client, server) = Parse(capture);
        var hello = client.Client!;
        Assert.Equal("curl.loopback.test", hello.ServerName);
        // curl offers what its HTTP stack supports: http/1.1 always, h2 first when built with nghttp2.
        Assert.Equal("http/1.1", hello.Alpn[^1]);
        Assert.Contains($"ALPN: offers {string.Join(',', hello.Alpn)}", capture.ClientOutput);
        Assert.Null(server.Server!.Alpn); // TLS 1.3: the choice is encrypted
        Assert.Matches(new Regex($"SSL connection using {Regex.Escape(ShortVersion(server.Server.Version))} / {TlsNames.CipherSuite(server.Server.CipherSuite)}"), capture.ClientOutput);
        Assert.Equal(IndependentJa4.FromStream(capture.ClientBytes), Ja4Of(capture.ClientBytes));
        output.WriteLine(capture.ClientOutput);
    }

    [SkippableFact]
    public void Openssl_hello_split_over_records()
    {
        // -max_send_frag 512 makes s_client cut its handshake into records of at most 512 bytes; a long ALPN list
        // makes the ClientHello longer than that, so the parser must join the fragments. -msg makes s_client print
        // the ClientHello it sent, which must be the message the record layer put back together.
        using var tls = new LoopbackTls();
        string[] protocols = ["h2", .. Enumerable.Range(0, 6).Select(i => $"p{i}-" + new string('x', 100))];
        var capture = tls.OpensslHandshake($"-servername records.test -alpn {string.Join(',', protocols)} -max_send_frag 512 -msg");
        var (client, _) = Parse(capture);
        Assert.True(client.Records >= 2, $"The hello came in {client.Records} record(s).");
        Assert.Equal(protocols, client.Client!.Alpn);

        var printed = Regex.Match(capture.ClientOutput, @">>> [^\n]*Handshake \[length ([0-9a-f]+)\], ClientHello\n((?: {4}[0-9a-f ]+\n)+)");
        Assert.True(printed.Success, "s_client -msg printed no ClientHello.");
        var sent = Convert.FromHexString(Regex.Replace(printed.Groups[2].Value, "\\s", ""));
        Assert.Equal(Convert.ToInt32(printed.Groups[1].Value, 16), sent.Length);
        var joined = new byte[sent.Length];
        var framing = TlsRecordLayer.Gather(capture.ClientBytes, TlsHello.MaxHandshakeLength, joined);
        Assert.Equal(TlsFramingStatus.Complete, framing.Status);
        Assert.Equal(sent, joined);
        Assert.Equal(IndependentJa4.FromStream(capture.ClientBytes), Ja4Of(capture.ClientBytes));
    }

    [SkippableFact]
    public void A_real_hello_reassembles_from_segments_split_anywhere_and_in_any_order()
    {
        using var tls = new LoopbackTls();
        var capture = tls.OpensslHandshake("-servername split.test -alpn h2,http/1.1");
        var expected = TlsHello.Parse(capture.ClientBytes);
        int helloLength = TlsRecordLayer.Measure(capture.ClientBytes).Length;
        var stream = capture.ClientBytes.AsSpan(0, helloLength).ToArray();
        string ja4 = Ja4.Fingerprint(expected.Client!);

        // Two segments, cut at every offset, in order and reversed; then three, shuffled.
        var rng = new Random(13);
        for (int cut = 1; cut < stream.Length; cut++)
        {
            foreach (bool reversed in new[] { false, true })
            {
                var pieces = new List<(int Offset, byte[] Bytes)> { (0, stream[..cut]), (cut, stream[cut..]) };
                if (reversed)
                    pieces.Reverse();
                CheckReassembly(pieces, stream, ja4, syn: cut % 2 == 0);
            }
            int other = rng.Next(1, stream.Length);
            var cuts = new[] { 0, Math.Min(cut, other), Math.Max(cut, other), stream.Length }.Distinct().ToArray();
            var three = Enumerable.Range(0, cuts.Length - 1).Select(i => (cuts[i], stream[cuts[i]..cuts[i + 1]])).OrderBy(_ => rng.Next()).ToList();
            CheckReassembly(three, stream, ja4, syn: true);
        }
    }

    private static void CheckReassembly(List<(int Offset, byte[] Bytes)> pieces, byte[] stream, string ja4, bool syn)
    {
        var reassembler = new TlsHelloReassembler();
        var flow = TlsFlow.Create([127, 0, 0, 1], 40000, [127, 0, 0, 1], 8443);
        uint isn = 0xFFFFFF00; // the sequence numbers wrap inside the hello
        var delivered = new List<(TlsHelloCapture Capture, byte[] Bytes)>();
        TlsHelloHandler handler = (in TlsHelloCapture c, ReadOnlySpan<byte> bytes) => delivered.Add((c, bytes.ToArray()));
        long now = 1_000;
        if (syn)
            reassembler.Add(flow, isn, TlsTcpFlags.Syn, default, 0, now, handler);
        foreach (var (offset, bytes) in pieces)
            reassembler.Add(flow, isn + 1 + (uint)offset, TlsTcpFlags.None, bytes, bytes.Length, now += 1000, handler);
        var (capture, got) = Assert.Single(delivered);
        Assert.Equal(TlsCaptureOutcome.Complete, capture.Outcome);
        Assert.Equal(stream, got);
        Assert.Equal(ja4, Ja4.Fingerprint(TlsHello.Parse(got).Client!));
        Assert.Equal(1, reassembler.Hellos);
        Assert.Equal(0, reassembler.BufferedBytes);
    }

    // openssl's own names for the TLS 1.2 suites it negotiates with itself.
    private static string OpensslName(ushort suite) => suite switch
    {
        0xC02B => "ECDHE-ECDSA-AES128-GCM-SHA256",
        0xC02C => "ECDHE-ECDSA-AES256-GCM-SHA384",
        0xCCA9 => "ECDHE-ECDSA-CHACHA20-POLY1305",
        _ => TlsNames.CipherSuite(suite),
    };

    private static string ShortVersion(ushort version) => version switch
    {
        0x0304 => "TLSv1.3",
        0x0303 => "TLSv1.2",
        _ => TlsNames.Version(version),
    };
}
