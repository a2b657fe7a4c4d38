using Xunit;

namespace OsqueryBpf.Tls.Tests;

/// <summary>The reassembler: order, duplicates, gaps, cut captures, limits, and that every give-up is counted.</summary>
public class ReassemblerTests
{
    private static readonly TlsFlow Client = TlsFlow.Create([10, 0, 0, 1], 50000, [10, 0, 0, 2], 443);
    private static readonly byte[] Hello = SampleHellos.Browser().ClientHelloRecord();
    private const uint Isn = 1000;
    private const long Second = 1_000_000_000;

    private sealed class Sink
    {
        public readonly List<(TlsHelloCapture Capture, byte[] Bytes)> Got = [];
        public readonly TlsHelloHandler Handler;

        public Sink() => Handler = (in TlsHelloCapture c, ReadOnlySpan<byte> b) => Got.Add((c, b.ToArray()));
    }

    private static void Segment(TlsHelloReassembler r, Sink sink, int from, int to, long now = 0, TlsTcpFlags flags = TlsTcpFlags.None,
        TlsFlow? flow = null, byte[]? stream = null, int? captured = null)
    {
        var bytes = (stream ?? Hello)[from..to];
        r.Add(flow ?? Client, Isn + 1 + (uint)from, flags, bytes.AsSpan(0, captured ?? bytes.Length), bytes.Length, now, sink.Handler);
    }

    private static void Syn(TlsHelloReassembler r, Sink sink, long now = 0, TlsFlow? flow = null) =>
        r.Add(flow ?? Client, Isn, TlsTcpFlags.Syn, default, 0, now, sink.Handler);

    [Fact]
    public void In_order_after_a_syn()
    {
        var r = new TlsHelloReassembler();
        var sink = new Sink();
        Syn(r, sink);
        Segment(r, sink, 0, 100, 1);
        Assert.Empty(sink.Got);
        Assert.True(r.BufferedBytes > 0);
        Segment(r, sink, 100, Hello.Length, 2);
        var (capture, bytes) = Assert.Single(sink.Got);
        Assert.Equal(TlsCaptureOutcome.Complete, capture.Outcome);
        Assert.Equal(Client, capture.Flow);
        Assert.Equal(0, capture.FirstSeenNs);
        Assert.Equal(2, capture.LastSeenNs);
        Assert.Equal(3, capture.Segments);
        Assert.Equal(Hello, bytes);
        Assert.Equal(1, r.Hellos);
        Assert.Equal(0, r.BufferedBytes);
        // Later segments of the connection are ignored; its FIN forgets it.
        r.Add(Client, Isn + 1 + (uint)Hello.Length, TlsTcpFlags.None, new byte[] { 23, 3, 3, 0, 1, 0 }, 6, 3, sink.Handler);
        Assert.Single(sink.Got);
        Assert.Equal(1, r.OpenStreams);
        r.Add(Client, Isn + 7 + (uint)Hello.Length, TlsTcpFlags.Fin, default, 0, 4, sink.Handler);
        Assert.Equal(0, r.OpenStreams);
    }

    [Fact]
    public void Without_a_syn_the_hello_start_is_recognised_even_when_it_arrives_last()
    {
        var r = new TlsHelloReassembler();
        var sink = new Sink();
        int third = Hello.Length / 3;
        Segment(r, sink, 2 * third, Hello.Length);
        Segment(r, sink, third, 2 * third);
        Assert.Empty(sink.Got);
        Segment(r, sink, 0, third);
        var (capture, bytes) = Assert.Single(sink.Got);
        Assert.Equal(TlsCaptureOutcome.Complete, capture.Outcome);
        Assert.Equal(Hello, bytes);
    }

    [Fact]
    public void Retransmissions_and_overlaps_are_counted_once()
    {
        var r = new TlsHelloReassembler();
        var sink = new Sink();
        Syn(r, sink);
        Syn(r, sink); // a retransmitted SYN changes nothing
        Segment(r, sink, 0, 120);
        Segment(r, sink, 0, 120);   // whole retransmission
        Segment(r, sink, 100, 200); // overlaps by 20
        Segment(r, sink, 200, Hello.Length);
        Assert.Equal(Hello, Assert.Single(sink.Got).Bytes);
        Assert.Equal(140, r.DuplicateBytes);
    }

    [Fact]
    public void A_capture_cut_short_hands_over_what_there_is()
    {
        var r = new TlsHelloReassembler();
        var sink = new Sink();
        Syn(r, sink);
        Segment(r, sink, 0, Hello.Length, captured: 100); // the probe kept 100 bytes of the segment
        var (capture, bytes) = Assert.Single(sink.Got);
        Assert.Equal(TlsCaptureOutcome.CaptureCut, capture.Outcome);
        Assert.Equal(Hello[..100], bytes);
        Assert.Equal(TlsParseError.Truncated, TlsHello.Parse(bytes).Error);
        Assert.Equal(1, r.Incomplete);
    }

    [Fact]
    public void A_missing_segment_times_out_and_is_handed_over_incomplete()
    {
        var r = new TlsHelloReassembler(maxWaitNanoseconds: 2 * Second);
        var sink = new Sink();
        Syn(r, sink, 0);
        Segment(r, sink, 0, 100, 1);
        Segment(r, sink, 200, Hello.Length, 2); // 100..200 never comes
        r.Expire(Second, sink.Handler);
        Assert.Empty(sink.Got);
        // Time passes on another connection's segments: the wait is applied without an explicit Expire.
        var other = TlsFlow.Create([10, 0, 0, 9], 1, [10, 0, 0, 2], 443);
        Segment(r, sink, 0, 50, 3 * Second, flow: other);
        var (capture, bytes) = Assert.Single(sink.Got);
        Assert.Equal(TlsCaptureOutcome.TimedOut, capture.Outcome);
        Assert.Equal(Hello[..100], bytes);
        Assert.Equal(1, r.Incomplete);
    }

    [Fact]
    public void Fin_or_rst_before_the_hello_is_complete()
    {
        var r = new TlsHelloReassembler();
        var sink = new Sink();
        Syn(r, sink);
        Segment(r, sink, 0, 100, flags: TlsTcpFlags.Fin);
        Assert.Equal(TlsCaptureOutcome.Closed, Assert.Single(sink.Got).Capture.Outcome);
        Assert.Equal(0, r.OpenStreams);
        Syn(r, sink);
        Segment(r, sink, 0, 100);
        r.Add(Client, Isn + 101, TlsTcpFlags.Rst, default, 0, 1, sink.Handler);
        Assert.Equal(2, sink.Got.Count);
        Assert.Equal(2, r.Incomplete);
    }

    [Fact]
    public void A_stream_that_is_not_tls_is_counted_and_not_handed_over()
    {
        var r = new TlsHelloReassembler();
        var sink = new Sink();
        Syn(r, sink);
        var http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray();
        Segment(r, sink, 0, http.Length, stream: http);
        Segment(r, sink, http.Length, http.Length, stream: http);
        Assert.Empty(sink.Got);
        Assert.Equal(1, r.NotTls);
        Assert.Equal(0, r.BufferedBytes);
    }

    [Fact]
    public void A_malformed_start_is_handed_over_for_the_parser_to_flag()
    {
        var r = new TlsHelloReassembler();
        var sink = new Sink();
        Syn(r, sink);
        byte[] bad = [22, 3, 1, 0, 4, 11, 0, 0, 0]; // a Certificate where the hello should be
        Segment(r, sink, 0, bad.Length, stream: bad);
        var (capture, bytes) = Assert.Single(sink.Got);
        Assert.Equal(TlsCaptureOutcome.Malformed, capture.Outcome);
        Assert.Equal(TlsParseError.NotHello, TlsHello.Parse(bytes).Error);
        Assert.Equal(1, r.Malformed);
    }

    [Fact]
    public void Middle_segments_whose_start_never_comes_are_counted()
    {
        var r = new TlsHelloReassembler(maxWaitNanoseconds: Second);
        var sink = new Sink();
        Segment(r, sink, 100, 150, 0);
        r.Expire(2 * Second, sink.Handler);
        Assert.Empty(sink.Got);
        Assert.Equal(1, r.MissingStart);
        Assert.Equal(0, r.OpenStreams);
        Assert.Equal(0, r.BufferedBytes);
    }

    [Fact]
    public void A_hello_longer_than_a_stream_may_hold()
    {
        var big = HelloBuilder.Records(new HelloBuilder().Extension(0x15, new byte[3000]).ClientHelloMessage(), 16384);
        var r = new TlsHelloReassembler(maxHelloBytes: 1024);
        var sink = new Sink();
        Syn(r, sink);
        Segment(r, sink, 0, 1400, stream: big);
        var (capture, bytes) = Assert.Single(sink.Got);
        Assert.Equal(TlsCaptureOutcome.TooLarge, capture.Outcome);
        Assert.Equal(1024, bytes.Length);
        Assert.Equal(1400 - 1024, r.DroppedBytes);
    }

    [Fact]
    public void Too_many_holes()
    {
        var r = new TlsHelloReassembler();
        var sink = new Sink();
        Syn(r, sink);
        Segment(r, sink, 0, 5);
        for (int i = 0; i < TlsHelloReassembler.MaxRanges - 1; i++)
            Segment(r, sink, 10 + 3 * i, 11 + 3 * i);
        Assert.Empty(sink.Got); // 16 separate ranges are held
        Segment(r, sink, 100, 101);
        var (capture, bytes) = Assert.Single(sink.Got);
        Assert.Equal(TlsCaptureOutcome.Fragmented, capture.Outcome);
        Assert.Equal(Hello[..5], bytes);
        Assert.Equal(1, r.Incomplete);
    }

    [Fact]
    public void When_full_the_longest_waiting_stream_is_given_up()
    {
        var r = new TlsHelloReassembler(maxStreams: 2);
        var sink = new Sink();
        var flows = Enumerable.Range(1, 3).Select(i => TlsFlow.Create([10, 0, 0, (byte)i], 50000, [10, 0, 0, 2], 443)).ToArray();
        for (int i = 0; i < 3; i++)
        {
            Syn(r, sink, i, flows[i]);
            Segment(r, sink, 0, 100, i, flow: flows[i]);
        }
        var (capture, bytes) = Assert.Single(sink.Got);
        Assert.Equal(TlsCaptureOutcome.Evicted, capture.Outcome);
        Assert.Equal(flows[0], capture.Flow);
        Assert.Equal(100, bytes.Length);
        Assert.Equal(1, r.Evicted);
        Assert.Equal(2, r.OpenStreams);

        // The byte budget: room for one buffer only, so a second waiting stream pushes the first out.
        var small = new TlsHelloReassembler(maxHelloBytes: 2048, maxBufferedBytes: 3000);
        var sink2 = new Sink();
        Segment(small, sink2, 0, 100, 0, flow: flows[0]);
        Segment(small, sink2, 0, 100, 1, flow: flows[1]);
        Assert.Equal(flows[0], Assert.Single(sink2.Got).Capture.Flow);
        Assert.True(small.BufferedBytes <= 3000);
        Assert.Equal(1, small.Evicted);
    }

    [Fact]
    public void Both_directions_and_a_reused_port()
    {
        var r = new TlsHelloReassembler();
        var sink = new Sink();
        var server = SampleHellos.ServerHello13();
        Syn(r, sink);
        r.Add(Client.Reverse(), 5000, TlsTcpFlags.Syn, default, 0, 0, sink.Handler);
        Segment(r, sink, 0, Hello.Length);
        r.Add(Client.Reverse(), 5001, TlsTcpFlags.None, server, server.Length, 1, sink.Handler);
        Assert.Equal(2, sink.Got.Count);
        Assert.Equal(TlsHelloKind.ServerHello, TlsHello.Parse(sink.Got[1].Bytes).Kind);
        Assert.Equal(Client.Reverse(), sink.Got[1].Capture.Flow);

        // The same addresses and ports, a new connection (new ISN): a new hello.
        r.Add(Client, 777, TlsTcpFlags.Syn, default, 0, 2, sink.Handler);
        r.Add(Client, 778, TlsTcpFlags.None, Hello, Hello.Length, 3, sink.Handler);
        Assert.Equal(3, sink.Got.Count);
        Assert.Equal(3, r.Hellos);
    }

    [Fact]
    public void Tls_that_starts_after_other_bytes_is_found_without_a_syn()
    {
        // A SOCKS5 greeting and connect request (or HTTP CONNECT, or STARTTLS) before the ClientHello.
        var r = new TlsHelloReassembler();
        var sink = new Sink();
        byte[] socks = [5, 1, 0, 5, 1, 0, 1, 10, 0, 0, 9, 1, 187];
        var stream = socks.Concat(Hello).ToArray();
        Segment(r, sink, 0, 3, 0, stream: stream);
        Segment(r, sink, 3, socks.Length, 1, stream: stream);
        Segment(r, sink, socks.Length + 100, stream.Length, 2, stream: stream); // the hello's tail first
        Segment(r, sink, socks.Length, socks.Length + 100, 3, stream: stream);
        var (capture, bytes) = Assert.Single(sink.Got);
        Assert.Equal(TlsCaptureOutcome.Complete, capture.Outcome);
        Assert.Equal(Hello, bytes);
        Assert.Equal(socks.Length, r.DroppedBytes);

        // A stream that did start with a hello is not restarted by a later segment that merely looks like one.
        var r2 = new TlsHelloReassembler();
        var sink2 = new Sink();
        var lookalike = Hello.ToArray();
        Array.Copy(new byte[] { 22, 3, 1, 0, 9, 2 }, 0, lookalike, 100, 6);
        Segment(r2, sink2, 0, 100, stream: lookalike);
        Segment(r2, sink2, 100, lookalike.Length, stream: lookalike);
        Assert.Equal(lookalike, Assert.Single(sink2.Got).Bytes);
    }

    [Fact]
    public void Ipv4_and_ipv6_flows()
    {
        var v4 = TlsFlow.Create([127, 0, 0, 1], 1, [127, 0, 0, 2], 2);
        Assert.Equal("127.0.0.1:1 -> 127.0.0.2:2", v4.ToString());
        var v6 = TlsFlow.Create(System.Net.IPAddress.Parse("2001:db8::1").GetAddressBytes(), 3, System.Net.IPAddress.IPv6Loopback.GetAddressBytes(), 4);
        Assert.Equal("2001:db8::1:3 -> ::1:4", v6.ToString());
        Assert.Equal(v6, v6.Reverse().Reverse());
        Assert.NotEqual(v6, v6.Reverse());
        Assert.Throws<ArgumentException>(() => TlsFlow.Create([1, 2, 3], 1, [1, 2, 3, 4], 2));
    }
}
