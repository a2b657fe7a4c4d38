using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using OsqueryBpf.Dns;
using OsqueryBpf.Probes.Decoding;

namespace OsqueryBpf.Probes;

/// <summary>Decodes dns.bpf.c records into <see cref="DnsPacket"/>s.</summary>
/// <remarks>Not thread-safe (it reuses text caches): one per ring reader. The payload is copied out of the record.</remarks>
public sealed class DnsRecordDecoder
{
    private readonly BootClock _clock;
    private readonly EscapedText _text = new();
    private readonly AddressText _addresses = new();

    /// <summary>A decoder converting times with <paramref name="clock"/>.</summary>
    public DnsRecordDecoder(BootClock clock) => _clock = clock;

    /// <summary>
    /// Decodes <paramref name="record"/>. Returns false with a sentence in <paramref name="error"/> when the
    /// record is malformed; the caller counts it as a drop.
    /// </summary>
    public bool TryDecode(ReadOnlySpan<byte> record, [NotNullWhen(true)] out DnsPacket? packet, [NotNullWhen(false)] out string? error)
    {
        packet = null;
        if (record.Length < DnsRecordLayout.FixedSize)
        {
            error = $"A DNS record of {record.Length} bytes is shorter than its {DnsRecordLayout.FixedSize}-byte fixed part.";
            return false;
        }
        var fixedPart = MemoryMarshal.Read<DnsRecordLayout>(record);
        var header = fixedPart.Header;
        if (header.Kind != DnsRecordLayout.Kind)
        {
            error = $"A DNS record has kind {header.Kind} instead of {DnsRecordLayout.Kind}.";
            return false;
        }
        if (header.RecordSize > record.Length || fixedPart.CapturedLength > DnsRecordLayout.MaxPayload ||
            DnsRecordLayout.FixedSize + fixedPart.CapturedLength > record.Length)
        {
            error = $"A DNS record of {record.Length} bytes (header says {header.RecordSize}) is shorter than its fixed part and {fixedPart.CapturedLength} captured payload bytes.";
            return false;
        }
        if (fixedPart.CapturedLength > fixedPart.PayloadLength)
        {
            error = $"A DNS record claims {fixedPart.CapturedLength} captured bytes of a {fixedPart.PayloadLength}-byte payload.";
            return false;
        }
        if (fixedPart.Protocol != (byte)DnsTransport.Udp && fixedPart.Protocol != (byte)DnsTransport.Tcp)
        {
            error = $"A DNS record has IP protocol {fixedPart.Protocol}; the probe reports only UDP (17) and TCP (6).";
            return false;
        }
        if (fixedPart.Family != AddressText.AfInet && fixedPart.Family != AddressText.AfInet6)
        {
            error = $"A DNS record has address family {fixedPart.Family}; the probe reports only AF_INET (2) and AF_INET6 (10).";
            return false;
        }
        if (fixedPart.Direction is < DnsDirection.Egress or > DnsDirection.Loopback)
        {
            error = $"A DNS record has direction {(byte)fixedPart.Direction}, which this decoder does not know.";
            return false;
        }

        var client = fixedPart.ClientSource == DnsAttribution.None || header.Pid == 0
            ? DnsProcess.Unknown
            : new DnsProcess(header.Pid, header.Tid, header.Ppid, header.Uid, header.Gid, unchecked((long)header.CgroupId),
                Comm(record.Slice(EventHeader.CommOffset, EventHeader.CommLength)), fixedPart.ClientSource);
        var server = fixedPart.ServerSource == DnsAttribution.None || fixedPart.ServerPid == 0
            ? DnsProcess.Unknown
            : new DnsProcess(fixedPart.ServerPid, fixedPart.ServerTid, 0, 0, 0, 0,
                Comm(record.Slice(DnsRecordLayout.ServerCommOffset, EventHeader.CommLength)), fixedPart.ServerSource);

        packet = new DnsPacket
        {
            Payload = record.Slice(DnsRecordLayout.FixedSize, (int)fixedPart.CapturedLength).ToArray(),
            PayloadLength = (int)fixedPart.PayloadLength,
            Protocol = (DnsTransport)fixedPart.Protocol,
            Family = fixedPart.Family,
            SourceAddress = _addresses.Format(fixedPart.Family, record.Slice(DnsRecordLayout.SourceAddressOffset, 16)),
            SourcePort = fixedPart.SourcePort,
            DestinationAddress = _addresses.Format(fixedPart.Family, record.Slice(DnsRecordLayout.DestinationAddressOffset, 16)),
            DestinationPort = fixedPart.DestinationPort,
            BootNs = header.BootNs,
            Time = _clock.ToUnixSeconds(header.BootNs),
            Direction = fixedPart.Direction,
            InterfaceIndex = (int)fixedPart.InterfaceIndex,
            Client = client,
            Server = server,
            TcpSequence = fixedPart.Protocol == (byte)DnsTransport.Tcp ? fixedPart.TcpSequence : 0,
            TcpFlags = fixedPart.Protocol == (byte)DnsTransport.Tcp ? fixedPart.TcpFlags : (byte)0,
            ProbeError = (header.Flags & EventHeader.ProbeErrorFlag) != 0,
        };
        error = null;
        return true;
    }

    private string Comm(ReadOnlySpan<byte> comm)
    {
        int end = comm.IndexOf((byte)0);
        return _text.Decode(end < 0 ? comm : comm[..end]);
    }
}
