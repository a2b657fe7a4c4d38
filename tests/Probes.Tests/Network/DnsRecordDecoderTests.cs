using System.Net;
using OsqueryBpf.Dns;
using OsqueryBpf.Probes.Decoding;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

public sealed class DnsRecordDecoderTests
{
    private static readonly BootClock Clock = new(1_700_000_000L * 1_000_000_000);

    private static DnsPacket Decode(byte[] record)
    {
        Assert.True(new DnsRecordDecoder(Clock).TryDecode(record, out var packet, out var error), error);
        return packet;
    }

    private static string Refused(byte[] record)
    {
        Assert.False(new DnsRecordDecoder(Clock).TryDecode(record, out var packet, out var error));
        Assert.Null(packet);
        Assert.EndsWith(".", error);
        return error;
    }

    private static readonly byte[] Query = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, (byte)'a', 0, 0, 1, 0, 1];

    [Fact]
    public void A_query_on_loopback_names_the_client_and_the_local_server()
    {
        var header = new RecordBuilder.Header { Pid = 777, Tid = 778, Ppid = 700, Uid = 1000, Gid = 1000, BootNs = 3_000_000_000,
            Comm = "dig"u8.ToArray() };
        var packet = Decode(NetRecordBuilder.Dns(header, new NetRecordBuilder.DnsFields
        {
            Payload = Query, ServerPid = 55, ServerTid = 55, Source = IPAddress.Parse("127.0.0.1"), SourcePort = 40_001,
            Destination = IPAddress.Parse("127.0.0.77"), DestinationPort = 53,
        }));
        Assert.Equal(Query, packet.Payload.ToArray());
        Assert.Equal(Query.Length, packet.PayloadLength);
        Assert.False(packet.Truncated);
        Assert.Equal(DnsTransport.Udp, packet.Protocol);
        Assert.Equal(2, packet.Family);
        Assert.Equal(DnsDirection.Loopback, packet.Direction);
        Assert.Equal(1, packet.InterfaceIndex);
        Assert.True(packet.FromClient);
        Assert.Equal("127.0.0.1", packet.ClientAddress);
        Assert.Equal(40_001, packet.ClientPort);
        Assert.Equal("127.0.0.77", packet.ServerAddress);
        Assert.Equal(53, packet.ServerPort);
        Assert.Equal(new DnsProcess(777, 778, 700, 1000, 1000, 0x1_0000_0001, "dig", DnsAttribution.SendingTask), packet.Client);
        Assert.Equal(new DnsProcess(55, 55, 0, 0, 0, 0, "dnsmasq", DnsAttribution.PortMap), packet.Server);
        Assert.Equal(3_000_000_000UL, packet.BootNs);
        Assert.Equal(1_700_000_003, packet.Time);
        Assert.Equal(0u, packet.TcpSequence);
    }

    [Fact]
    public void A_response_from_a_remote_server_has_the_receiving_client_and_no_server_process()
    {
        var packet = Decode(NetRecordBuilder.Dns(new RecordBuilder.Header { Pid = 900 }, new NetRecordBuilder.DnsFields
        {
            Payload = Query, Source = IPAddress.Parse("2001:4860:4860::8888"), SourcePort = 53,
            Destination = IPAddress.Parse("2001:db8::5"), DestinationPort = 33_333, Family = 10, Direction = 2,
            ClientSource = 1, ServerSource = 0, ServerPid = 0, InterfaceIndex = 2,
        }));
        Assert.False(packet.FromClient);
        Assert.Equal("2001:db8::5", packet.ClientAddress);
        Assert.Equal(33_333, packet.ClientPort);
        Assert.Equal("2001:4860:4860::8888", packet.ServerAddress);
        Assert.Equal(DnsDirection.Ingress, packet.Direction);
        Assert.Equal(900, packet.Client.Pid);
        Assert.Equal(DnsAttribution.PortMap, packet.Client.Source);
        Assert.Same(DnsProcess.Unknown, packet.Server);
        Assert.False(packet.Server.IsKnown);
    }

    [Fact]
    public void An_unattributed_client_is_unknown_even_if_the_header_has_bytes()
    {
        var packet = Decode(NetRecordBuilder.Dns(new RecordBuilder.Header { Pid = 123 }, new NetRecordBuilder.DnsFields
        {
            Payload = Query, ClientSource = 0,
        }));
        Assert.Same(DnsProcess.Unknown, packet.Client);
    }

    [Fact]
    public void A_payload_cut_at_the_capture_limit_is_truncated_with_its_real_length()
    {
        var payload = new byte[512];
        new Random(1).NextBytes(payload);
        var packet = Decode(NetRecordBuilder.Dns(new RecordBuilder.Header(), new NetRecordBuilder.DnsFields
        {
            Payload = payload, PayloadLength = 1400,
        }));
        Assert.True(packet.Truncated);
        Assert.Equal(1400, packet.PayloadLength);
        Assert.Equal(payload, packet.Payload.ToArray());
    }

    [Fact]
    public void Tcp_segments_keep_sequence_and_flags_and_udp_packets_do_not()
    {
        var tcp = Decode(NetRecordBuilder.Dns(new RecordBuilder.Header(), new NetRecordBuilder.DnsFields
        {
            Payload = Query, Protocol = 6, TcpSequence = 0xFFFF_FFF0, TcpFlags = 0x18,
        }));
        Assert.Equal(DnsTransport.Tcp, tcp.Protocol);
        Assert.Equal(0xFFFF_FFF0u, tcp.TcpSequence);
        Assert.Equal(0x18, tcp.TcpFlags);

        var udp = Decode(NetRecordBuilder.Dns(new RecordBuilder.Header(), new NetRecordBuilder.DnsFields
        {
            Payload = Query, Protocol = 17, TcpSequence = 99, TcpFlags = 0x18,
        }));
        Assert.Equal(0u, udp.TcpSequence);
        Assert.Equal(0, udp.TcpFlags);
    }

    [Fact]
    public void The_payload_is_copied_out_of_the_ring_record()
    {
        var record = NetRecordBuilder.Dns(new RecordBuilder.Header(), new NetRecordBuilder.DnsFields { Payload = Query });
        var packet = Decode(record);
        record.AsSpan(160).Clear();
        Assert.Equal(Query, packet.Payload.ToArray());
    }

    [Fact]
    public void Malformed_records_are_refused_with_a_reason()
    {
        var good = NetRecordBuilder.Dns(new RecordBuilder.Header(), new NetRecordBuilder.DnsFields { Payload = Query });

        Assert.Contains("shorter than its 160-byte fixed part", Refused(good[..100]));
        Assert.Contains("captured payload bytes", Refused(good[..170]));

        var wrongKind = (byte[])good.Clone();
        wrongKind[0] = 32;
        Assert.Contains("kind 32", Refused(wrongKind));

        var moreCapturedThanSent = NetRecordBuilder.Dns(new RecordBuilder.Header(), new NetRecordBuilder.DnsFields
        {
            Payload = Query, PayloadLength = 5,
        });
        Assert.Contains("claims 19 captured bytes of a 5-byte payload", Refused(moreCapturedThanSent));

        var icmp = (byte[])good.Clone();
        icmp[133] = 1;
        Assert.Contains("IP protocol 1", Refused(icmp));

        var badFamily = (byte[])good.Clone();
        badFamily[132] = 17;
        Assert.Contains("address family 17", Refused(badFamily));

        var badDirection = (byte[])good.Clone();
        badDirection[134] = 9;
        Assert.Contains("direction 9", Refused(badDirection));
    }
}
