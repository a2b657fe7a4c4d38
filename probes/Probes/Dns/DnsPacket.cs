using OsqueryBpf.Dns;
namespace OsqueryBpf.Probes;

/// <summary>
/// One DNS packet seen on the host (dns.bpf.c), for the DNS message parser (OsqueryBpf.Dns): the payload as
/// captured, its 4-tuple and transport, when and where it was seen, and the processes at both ends.
/// </summary>
/// <remarks>
/// <para>UDP: <see cref="Payload"/> is one whole DNS message unless <see cref="Truncated"/>.</para>
/// <para>TCP: <see cref="Payload"/> is one segment's payload. DNS over TCP (RFC 1035 4.2.2, RFC 7766) puts a
/// 2-byte big-endian length before each message, and a message may be split across segments or several
/// may share one; feed TCP packets to a <see cref="TcpDnsReassembler"/> to get whole messages.</para>
/// <para><see cref="Client"/> is the end that is not port 53: the process that sent a query and the one that
/// receives its response, which is the process the ebpf_dns_events table reports. <see cref="Server"/> is
/// the port 53 end when it is on this host (a local resolver such as dnsmasq or systemd-resolved), with pid,
/// tid and comm only.</para>
/// </remarks>
public sealed record DnsPacket
{
    /// <summary>The DNS port.</summary>
    public const int DnsPort = 53;

    /// <summary>The captured bytes of the payload (UDP payload or TCP segment payload), at most the probe's limit.</summary>
    public required ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>Bytes of payload the packet really had.</summary>
    public required int PayloadLength { get; init; }

    /// <summary>UDP or TCP.</summary>
    public required DnsTransport Protocol { get; init; }

    /// <summary>AF_INET (2) or AF_INET6 (10).</summary>
    public required int Family { get; init; }

    /// <summary>Source address, canonical text (see <see cref="Decoding.AddressText"/>).</summary>
    public required string SourceAddress { get; init; }

    /// <summary>Source port.</summary>
    public required int SourcePort { get; init; }

    /// <summary>Destination address, canonical text.</summary>
    public required string DestinationAddress { get; init; }

    /// <summary>Destination port.</summary>
    public required int DestinationPort { get; init; }

    /// <summary>bpf_ktime_get_boot_ns() when the packet passed the tap.</summary>
    public required ulong BootNs { get; init; }

    /// <summary>UNIX seconds of <see cref="BootNs"/>.</summary>
    public required long Time { get; init; }

    /// <summary>Leaving, arriving, or on loopback.</summary>
    public required DnsDirection Direction { get; init; }

    /// <summary>The interface index it was seen on.</summary>
    public required int InterfaceIndex { get; init; }

    /// <summary>The client end's process (the table's pid, tid, parent, uid, gid, comm).</summary>
    public required DnsProcess Client { get; init; }

    /// <summary>The server end's process when local, else <see cref="DnsProcess.Unknown"/>.</summary>
    public required DnsProcess Server { get; init; }

    /// <summary>TCP: the segment's sequence number; 0 for UDP.</summary>
    public uint TcpSequence { get; init; }

    /// <summary>TCP: the segment's flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10); 0 for UDP.</summary>
    public byte TcpFlags { get; init; }

    /// <summary>True when the packet's headers promised more payload than it had (the kernel read failed).</summary>
    public bool ProbeError { get; init; }

    /// <summary>True when only part of the payload was captured (<see cref="Payload"/> is shorter than <see cref="PayloadLength"/>).</summary>
    public bool Truncated => Payload.Length < PayloadLength;

    /// <summary>True when the client sent it (destination port 53): queries normally.</summary>
    public bool FromClient => DestinationPort == DnsPort;

    /// <summary>The client end's address.</summary>
    public string ClientAddress => FromClient ? SourceAddress : DestinationAddress;

    /// <summary>The client end's port.</summary>
    public int ClientPort => FromClient ? SourcePort : DestinationPort;

    /// <summary>The server end's address.</summary>
    public string ServerAddress => FromClient ? DestinationAddress : SourceAddress;

    /// <summary>The server end's port (53).</summary>
    public int ServerPort => FromClient ? DestinationPort : SourcePort;
}
