using System.Diagnostics;
using Xunit;

namespace OsqueryBpf.Tls.Tests;

/// <summary>
/// Damaged and hostile input: every kind gets its own error at the right offset, with what could be read kept,
/// and nothing throws or allocates from a forged count.
/// </summary>
public class HostileHelloTests
{
    // Offsets in HelloBuilder's ClientHelloRecord: record header 5, handshake header 4, then the body.
    private const int Body = 9;
    private const int SessionIdLength = Body + 2 + 32;

    private static TlsHelloResult Parse(byte[] stream)
    {
        var r = TlsHello.Parse(stream);
        Assert.NotEqual(TlsParseError.InternalError, r.Error);
        Assert.Equal(r.IsComplete, r.Reason is null);
        Assert.Equal(r.IsComplete, r.ErrorOffset == -1);
        return r;
    }

    private static void Expect(TlsParseError error, int offset, byte[] stream)
    {
        var r = Parse(stream);
        Assert.True(error == r.Error, $"Expected {error}, got {r.Error}: {r.Reason}");
        Assert.True(offset == r.ErrorOffset, $"Expected offset {offset}, got {r.ErrorOffset}: {r.Reason}");
    }

    private static void SetU16(byte[] bytes, int at, int value)
    {
        bytes[at] = (byte)(value >> 8);
        bytes[at + 1] = (byte)value;
    }

    [Fact]
    public void Streams_that_are_not_tls_are_refused_at_their_first_byte()
    {
        Expect(TlsParseError.Empty, 0, []);
        Expect(TlsParseError.NotHandshakeRecord, 0, "GET / HTTP/1.1\r\n"u8.ToArray());
        Expect(TlsParseError.NotHandshakeRecord, 0, "SSH-2.0-OpenSSH_9.2\r\n"u8.ToArray());
        Expect(TlsParseError.NotHandshakeRecord, 0, [23, 3, 3, 0, 5, 1, 2, 3, 4, 5]); // application data
        Expect(TlsParseError.NotHandshakeRecord, 0, [21, 3, 3, 0, 2, 2, 40]);         // an alert
        Expect(TlsParseError.Sslv2Hello, 0, [0x80, 0x2e, 1, 3, 1, 0, 0x15, 0, 0, 0, 0x10]);
        Expect(TlsParseError.BadRecordVersion, 1, [22, 2, 0, 0, 4, 1, 0, 0, 0]);
        Expect(TlsParseError.BadRecordVersion, 1, [22, 3, 5, 0, 4, 1, 0, 0, 0]);
        Expect(TlsParseError.BadRecordVersion, 1, [22, 0xfe, 0xfd]); // DTLS's version on TCP; known from 3 bytes
    }

    [Fact]
    public void Record_and_handshake_headers_with_forbidden_values()
    {
        Expect(TlsParseError.EmptyRecord, 3, [22, 3, 1, 0, 0]);
        Expect(TlsParseError.EmptyRecord, 3, [22, 3, 1, 0, 0, 22, 3, 1, 0, 4, 1, 0, 0, 0]);
        Expect(TlsParseError.RecordTooLong, 3, [22, 3, 1, 0x40, 0x01, 1, 0, 0x40, 0]);
        Expect(TlsParseError.RecordTooLong, 3, [22, 3, 1, 0xff, 0xff]);
        Expect(TlsParseError.NotHello, 5, [22, 3, 3, 0, 4, 11, 0, 0, 0]);  // a Certificate first
        Expect(TlsParseError.NotHello, 5, [22, 3, 3, 0, 4, 0, 0, 0, 0]);   // HelloRequest
        Expect(TlsParseError.HelloTooLong, 6, [22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]);
        Expect(TlsParseError.HelloTooLong, 6, [22, 3, 1, 0, 4, 1, 1, 0, 1]);
        // The same checks across a record boundary: the handshake header split over two records.
        Expect(TlsParseError.HelloTooLong, 6, [22, 3, 1, 0, 2, 1, 0xff, 22, 3, 1, 0, 2, 0xff, 0xff]);
    }

    [Fact]
    public void Every_truncation_of_a_hello_is_truncated_and_keeps_what_came_before()
    {
        var whole = SampleHellos.Browser().ClientHelloRecord();
        int cipherAt = SessionIdLength + 1 + 32 + 2;
        for (int length = 1; length < whole.Length; length++)
        {
            var r = Parse(whole[..length]);
            Assert.True(r.Error == TlsParseError.Truncated, $"length {length}: {r.Error} {r.Reason}");
            Assert.InRange(r.ErrorOffset, 0, length);
            if (length > Body)
                Assert.Equal(TlsHelloKind.ClientHello, r.Kind);
            if (length >= cipherAt + 32)
                Assert.Equal(16, r.Client!.CipherSuites.Length);
            if (length == whole.Length - 1)
                Assert.Equal(15, r.Client!.Extensions.Length); // every extension but the last
        }
    }

    [Fact]
    public void Lengths_past_the_end_of_their_container()
    {
        var b = SampleHellos.Browser();
        var good = b.ClientHelloRecord();

        var sessionId = (byte[])good.Clone();
        sessionId[SessionIdLength] = 255; // 255 bytes of session id in a hello with fewer left
        Expect(TlsParseError.LengthPastEnd, SessionIdLength + 1, sessionId);

        int cipherLength = SessionIdLength + 1 + 32;
        var ciphers = (byte[])good.Clone();
        SetU16(ciphers, cipherLength, 0xfffe); // a forged cipher suite count
        Expect(TlsParseError.LengthPastEnd, cipherLength + 2, ciphers);
        var r = TlsHello.Parse(ciphers);
        Assert.Empty(r.Client!.CipherSuites); // nothing allocated for 32,767 suites that are not there
        Assert.Equal(32, r.Client.SessionId.Length); // what came before is kept

        int compressionLength = cipherLength + 2 + 32;
        var compression = (byte[])good.Clone();
        compression[compressionLength] = 255;
        Expect(TlsParseError.LengthPastEnd, compressionLength + 1, compression);

        int extensionsLength = compressionLength + 2;
        var block = (byte[])good.Clone();
        SetU16(block, extensionsLength, 0xffff);
        Expect(TlsParseError.LengthPastEnd, extensionsLength, block);

        // The first extension (GREASE, empty) claims 60,000 bytes.
        var extension = (byte[])good.Clone();
        SetU16(extension, extensionsLength + 4, 60_000);
        Expect(TlsParseError.LengthPastEnd, extensionsLength + 6, extension);

        // The handshake header announces less than the fields hold: the extensions run past the hello's end.
        var message = b.ClientHelloMessage();
        int body = message.Length - 4 - 10;
        message[1] = (byte)(body >> 16);
        message[2] = (byte)(body >> 8);
        message[3] = (byte)body;
        var shortHello = HelloBuilder.Records(message[..(4 + body)], int.MaxValue);
        Expect(TlsParseError.LengthPastEnd, extensionsLength, shortHello);

        // A zero-length ClientHello: nothing fits.
        Expect(TlsParseError.LengthPastEnd, Body, [22, 3, 1, 0, 4, 1, 0, 0, 0]);
        Expect(TlsParseError.LengthPastEnd, Body, [22, 3, 1, 0, 4, 2, 0, 0, 0]);
    }

    [Fact]
    public void Forbidden_lengths_are_flagged_and_the_rest_is_still_read()
    {
        var longId = SampleHellos.Browser();
        longId.SessionId = new byte[40];
        var r = Parse(longId.ClientHelloRecord());
        Assert.Equal(TlsParseError.BadLength, r.Error);
        Assert.Equal(SessionIdLength, r.ErrorOffset);
        Assert.Equal("www.example.com", r.Client!.ServerName); // read past the problem

        var odd = SampleHellos.Browser().ClientHelloRecord();
        int cipherLength = SessionIdLength + 1 + 32;
        // Make the cipher list one byte shorter and the compression list one byte longer: same total, odd list.
        odd[cipherLength + 1] = 31;
        odd[cipherLength + 2 + 31] = 2;
        r = Parse(odd);
        Assert.Equal(TlsParseError.BadLength, r.Error);
        Assert.Equal(cipherLength, r.ErrorOffset);

        r = Parse(new HelloBuilder { Compression = [] }.ServerName("x.test").ClientHelloRecord());
        Assert.Equal(TlsParseError.BadLength, r.Error);
        Assert.Equal("x.test", r.Client!.ServerName);

        // Bytes between the extensions block and the end of the hello.
        var message = new HelloBuilder().ServerName("x.test").ClientHelloMessage();
        message = [.. message, 0xAA, 0xBB];
        message[3] += 2;
        r = Parse(HelloBuilder.Records(message, int.MaxValue));
        Assert.Equal(TlsParseError.BadLength, r.Error);
        Assert.Equal(5 + message.Length - 2, r.ErrorOffset);
        Assert.Equal("x.test", r.Client!.ServerName);
    }

    [Fact]
    public void Malformed_extensions_are_skipped_and_flagged()
    {
        static TlsHelloResult With(ushort type, byte[] data) =>
            Parse(new HelloBuilder().Extension(type, data).Alpn("h2").ClientHelloRecord());

        foreach (var (type, data) in new (ushort, byte[])[]
                 {
                     (0, []),                                  // an empty server_name in a ClientHello
                     (0, [0, 0]),                              // an empty name list
                     (0, [0, 9, 0, 0, 1, (byte)'a']),          // list length past the extension
                     (0, [0, 4, 0, 0, 9, (byte)'a']),          // a name past the list
                     (0, [0, 3, 0, 0, 0]),                     // an empty name
                     (16, []), (16, [0, 0]), (16, [0, 5, 1]),  // ALPN: empty, empty list, past the end
                     (43, []), (43, [3, 3, 4, 3]), (43, [4, 3, 4]), // supported_versions: empty, odd, past
                     (13, [0, 3, 4, 3, 1]), (13, [0, 0]),      // signature_algorithms: odd, empty
                     (10, [0, 8, 0, 29]),                      // supported_groups past the extension
                     (11, [0]), (11, [5, 0]),                  // ec_point_formats: empty, past
                 })
        {
            var r = With(type, data);
            Assert.True(TlsParseError.BadExtension == r.Error, $"extension {type} {Convert.ToHexString(data)}: {r.Error} {r.Reason}");
            Assert.Equal(Body + 2 + 32 + 1 + 2 + 6 + 2 + 2, r.ErrorOffset);
            Assert.Equal(["h2"], r.Client!.Alpn); // the extension after it is read (for ALPN itself: the second one)
            Assert.Equal([type, (ushort)16], r.Client.Extensions);
        }
    }

    [Fact]
    public void A_repeated_extension_is_flagged_at_its_second_occurrence_and_the_first_is_kept()
    {
        var b = new HelloBuilder().ServerName("first.test").Alpn("h2").ServerName("second.test");
        var r = Parse(b.ClientHelloRecord());
        Assert.Equal(TlsParseError.DuplicateExtension, r.Error);
        Assert.Equal("first.test", r.Client!.ServerName);
        int extensions = Body + 2 + 32 + 1 + 2 + 6 + 2 + 2;
        int second = extensions + (4 + 15) + (4 + 5);
        Assert.Equal(second, r.ErrorOffset);
    }

    [Fact]
    public void An_alert_between_the_fragments_of_a_hello()
    {
        var message = SampleHellos.Browser().ClientHelloMessage();
        var first = HelloBuilder.Records(message[..150], int.MaxValue);
        var stream = first.Concat(new byte[] { 21, 3, 3, 0, 2, 2, 40 }).Concat(HelloBuilder.Records(message[150..], int.MaxValue)).ToArray();
        var r = Parse(stream);
        Assert.Equal(TlsParseError.NotHandshakeRecord, r.Error);
        Assert.Equal(first.Length, r.ErrorOffset);
        Assert.Equal(16, r.Client!.CipherSuites.Length); // in the first fragment
    }

    [Fact]
    public void Huge_extension_counts_cost_what_the_bytes_cost()
    {
        // 16,000 empty extensions, all different, fill a 64 KiB hello: legal, read in full, quickly.
        var b = new HelloBuilder();
        for (int i = 0; i < 16_000; i++)
            b.Extension((ushort)(0x1000 + i), []);
        var stream = HelloBuilder.Records(b.ClientHelloMessage(), 16384);
        var clock = Stopwatch.StartNew();
        var r = Parse(stream);
        Assert.True(r.IsComplete, r.Reason);
        Assert.Equal(16_000, r.Client!.Extensions.Length);
        Assert.Equal("99", Ja4.Fingerprint(r.Client).Substring(6, 2));

        // The same count, all one type: one duplicate reported, at the second one.
        var same = new HelloBuilder();
        for (int i = 0; i < 16_000; i++)
            same.Extension(0x1234, []);
        r = Parse(HelloBuilder.Records(same.ClientHelloMessage(), 16384));
        Assert.Equal(TlsParseError.DuplicateExtension, r.Error);
        Assert.Equal(Body + 2 + 32 + 1 + 2 + 6 + 2 + 2 + 4, r.ErrorOffset);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}"); // not quadratic (a bound, not a benchmark)
    }

    [Fact]
    public void Flagged_hellos_become_probe_errors_with_a_sentence()
    {
        var cut = TlsHello.Parse(SampleHellos.Browser().ClientHelloRecord()[..120]);
        var f = TlsEventFields.From(cut, null, TlsCaptureOutcome.TimedOut);
        Assert.True(f.ProbeError);
        Assert.StartsWith("ClientHello: The bytes end at hello byte 115", f.ParseProblem);
        Assert.EndsWith("(the rest did not arrive in time)", f.ParseProblem);
        Assert.Equal(16, cut.Client!.CipherSuites.Length);
        Assert.Equal(15, f.CipherCount);

        var good = TlsHello.Parse(SampleHellos.Browser().ClientHelloRecord());
        var badServer = TlsHello.Parse(SampleHellos.ServerHello13()[..40]);
        f = TlsEventFields.From(good, badServer);
        Assert.True(f.ProbeError);
        Assert.StartsWith("ServerHello: ", f.ParseProblem);
        Assert.Equal("www.example.com", f.ServerName);

        var notTls = TlsHello.Parse("GET / HTTP/1.1"u8);
        f = TlsEventFields.From(notTls);
        Assert.True(f.ProbeError);
        Assert.Equal("", f.Ja4);
    }
}
