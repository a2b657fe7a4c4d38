using OsqueryBpf.Dns;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

public sealed class TcpDnsReassemblerTests
{
    private static byte[] Message(int length, byte fill)
    {
        var message = new byte[length];
        Array.Fill(message, fill);
        message[0] = 0xAB; // a recognisable id byte
        return message;
    }

    private static byte[] Framed(params byte[][] messages) =>
        messages.SelectMany(m => new[] { (byte)(m.Length >> 8), (byte)m.Length }.Concat(m)).ToArray();

    private static DnsPacket Segment(uint seq, byte[] payload, byte flags = 0x18, int sourcePort = 40_000, int? realLength = null,
        ulong bootNs = 1) => new()
    {
        Payload = payload,
        PayloadLength = realLength ?? payload.Length,
        Protocol = DnsTransport.Tcp,
        Family = 2,
        SourceAddress = "127.0.0.1",
        SourcePort = sourcePort,
        DestinationAddress = "127.0.0.77",
        DestinationPort = 53,
        BootNs = bootNs,
        Time = 0,
        Direction = DnsDirection.Loopback,
        InterfaceIndex = 1,
        Client = DnsProcess.Unknown,
        Server = DnsProcess.Unknown,
        TcpSequence = seq,
        TcpFlags = flags,
    };

    [Fact]
    public void A_message_split_across_segments_comes_out_whole_once()
    {
        var message = Message(300, 7);
        var stream = Framed(message);
        var reassembler = new TcpDnsReassembler();
        var output = new List<DnsPacket>();
        reassembler.Add(Segment(1000, stream[..1]), output);
        reassembler.Add(Segment(1001, stream[1..150]), output);
        Assert.Empty(output);
        reassembler.Add(Segment(1150, stream[150..]), output);
        var whole = Assert.Single(output);
        Assert.Equal(message, whole.Payload.ToArray());
        Assert.Equal(300, whole.PayloadLength);
        Assert.Equal(1150u, whole.TcpSequence); // the segment that completed it
        Assert.Equal(1, reassembler.OpenStreams);
    }

    [Fact]
    public void Several_messages_in_one_segment_and_a_retransmission_are_handled()
    {
        var a = Message(20, 1);
        var b = Message(30, 2);
        var c = Message(40, 3);
        var stream = Framed(a, b, c);
        var reassembler = new TcpDnsReassembler();
        var output = new List<DnsPacket>();
        reassembler.Add(Segment(0xFFFF_FFF0, stream[..60]), output); // the sequence number wraps inside
        reassembler.Add(Segment(0xFFFF_FFF0, stream[..60]), output); // retransmitted: nothing new
        reassembler.Add(Segment(unchecked(0xFFFF_FFF0 + 50), stream[50..]), output); // overlaps 10 bytes
        Assert.Equal([a, b, c], output.Select(p => p.Payload.ToArray()).ToArray());
        Assert.Equal(0, reassembler.Discarded);
    }

    [Fact]
    public void A_gap_discards_the_partial_message_and_the_stream_restarts()
    {
        var first = Framed(Message(100, 1));
        var next = Framed(Message(10, 2));
        var reassembler = new TcpDnsReassembler();
        var output = new List<DnsPacket>();
        reassembler.Add(Segment(1, first[..50]), output);
        reassembler.Add(Segment(500, next), output); // bytes 51..499 never arrived
        Assert.Equal(1, reassembler.Discarded);
        Assert.Equal(Message(10, 2), Assert.Single(output).Payload.ToArray());
    }

    [Fact]
    public void A_segment_cut_by_the_capture_limit_ends_the_stream()
    {
        var reassembler = new TcpDnsReassembler();
        var output = new List<DnsPacket>();
        var stream = Framed(Message(600, 1));
        reassembler.Add(Segment(1, stream[..10]), output);
        reassembler.Add(Segment(11, stream[10..512], realLength: stream.Length - 10), output);
        Assert.Empty(output);
        Assert.Equal(1, reassembler.Discarded);
        Assert.Equal(0, reassembler.OpenStreams);
    }

    [Fact]
    public void Fin_closes_the_stream_and_directions_are_separate()
    {
        var reassembler = new TcpDnsReassembler();
        var output = new List<DnsPacket>();
        reassembler.Add(Segment(1, Framed(Message(5, 1))[..3], sourcePort: 1), output);
        reassembler.Add(Segment(1, Framed(Message(5, 2)), sourcePort: 2, flags: 0x19), output);
        Assert.Single(output);
        Assert.Equal(1, reassembler.OpenStreams); // port 2 sent FIN
        reassembler.Add(Segment(4, [], sourcePort: 1, flags: 0x11), output);
        Assert.Equal(0, reassembler.OpenStreams);
        Assert.Equal(1, reassembler.Discarded); // port 1 closed with half a message
    }

    [Fact]
    public void The_stream_count_is_bounded_by_evicting_the_least_recent()
    {
        var reassembler = new TcpDnsReassembler(maxStreams: 2);
        var output = new List<DnsPacket>();
        var partial = Framed(Message(10, 1))[..4];
        reassembler.Add(Segment(1, partial, sourcePort: 1, bootNs: 10), output);
        reassembler.Add(Segment(1, partial, sourcePort: 2, bootNs: 20), output);
        reassembler.Add(Segment(1, partial, sourcePort: 3, bootNs: 30), output);
        Assert.Equal(2, reassembler.OpenStreams);
        Assert.Equal(1, reassembler.Discarded);
        // Port 1 was evicted: its continuation starts a new stream mid-message, ports 2 and 3 still complete.
        reassembler.Add(Segment(5, Framed(Message(10, 1))[4..], sourcePort: 2, bootNs: 40), output);
        Assert.Single(output);
    }

    [Fact]
    public void Udp_packets_are_refused()
    {
        var udp = Segment(1, [1, 2]) with { Protocol = DnsTransport.Udp };
        Assert.Throws<ArgumentException>(() => new TcpDnsReassembler().Add(udp, []));
    }
}
