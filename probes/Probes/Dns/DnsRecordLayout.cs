using System.Runtime.InteropServices;
using OsqueryBpf.Probes.Decoding;

namespace OsqueryBpf.Probes;

/// <summary>
/// Mirror of the fixed part of <c>struct dns_record</c> (probes/bpf/dns.bpf.c), little-endian. The header is
/// the client end's process (pid 0 when unknown); the captured payload (<see cref="CapturedLength"/> bytes)
/// follows at <see cref="FixedSize"/>.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = FixedSize)]
public readonly struct DnsRecordLayout
{
    /// <summary>The record kind (EVENT_DNS_FIRST in common.h).</summary>
    public const ushort Kind = 48;

    /// <summary>Bytes before the payload (DNS_RECORD_FIXED_SIZE).</summary>
    public const int FixedSize = 160;

    /// <summary>Most payload bytes a record carries (DNS_PAYLOAD_MAX).</summary>
    public const int MaxPayload = 4096;

    /// <summary>Offset of <c>server_comm</c> (16 bytes, NUL-padded).</summary>
    public const int ServerCommOffset = 80;

    /// <summary>Offset of <c>src_addr</c> (16 bytes, network byte order).</summary>
    public const int SourceAddressOffset = 96;

    /// <summary>Offset of <c>dst_addr</c>.</summary>
    public const int DestinationAddressOffset = 112;

    /// <summary>The client end's process.</summary>
    [FieldOffset(0)] public readonly EventHeader Header;

    /// <summary>The port 53 end's process id when local, else 0.</summary>
    [FieldOffset(72)] public readonly uint ServerPid;

    /// <summary>The port 53 end's thread id.</summary>
    [FieldOffset(76)] public readonly uint ServerTid;

    /// <summary>Source port, host byte order.</summary>
    [FieldOffset(128)] public readonly ushort SourcePort;

    /// <summary>Destination port, host byte order.</summary>
    [FieldOffset(130)] public readonly ushort DestinationPort;

    /// <summary>AF_INET or AF_INET6.</summary>
    [FieldOffset(132)] public readonly byte Family;

    /// <summary>IPPROTO_UDP (17) or IPPROTO_TCP (6).</summary>
    [FieldOffset(133)] public readonly byte Protocol;

    /// <summary>enum dns_direction.</summary>
    [FieldOffset(134)] public readonly DnsDirection Direction;

    /// <summary>How the client's process was found (enum dns_source).</summary>
    [FieldOffset(135)] public readonly DnsAttribution ClientSource;

    /// <summary>How the server's process was found.</summary>
    [FieldOffset(136)] public readonly DnsAttribution ServerSource;

    /// <summary>TCP flags byte of the segment.</summary>
    [FieldOffset(137)] public readonly byte TcpFlags;

    /// <summary>Interface index the packet was seen on.</summary>
    [FieldOffset(140)] public readonly uint InterfaceIndex;

    /// <summary>TCP sequence number of the segment, host byte order.</summary>
    [FieldOffset(144)] public readonly uint TcpSequence;

    /// <summary>Bytes of DNS payload in the packet.</summary>
    [FieldOffset(148)] public readonly uint PayloadLength;

    /// <summary>Bytes of it captured after the fixed part.</summary>
    [FieldOffset(152)] public readonly uint CapturedLength;
}
