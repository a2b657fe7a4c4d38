using OsqueryBpf.Containers.Attribution;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using OsqueryBpf.Dns;
using OsqueryBpf.Events;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.Probes.Runtime;

namespace OsqueryBpf.Probes;

/// <summary>
/// Turns the DNS probe's ring records into <see cref="DnsEvent"/>s: packet decoding, TCP reassembly, the wire-format
/// parser, and query/response matching for <c>latency</c>. Both a query and its response are attributed to the client
/// process, which is the one that sent the query and the one that receives the response. Single-threaded: one
/// instance per ring reader.
/// </summary>
public sealed class DnsEventDecoder : IRecordDecoder, IMultiEventDecoder
{
    private readonly DnsRecordDecoder _packets;
    private readonly TcpDnsReassembler _tcp = new();
    private readonly DnsTransactionTracker _transactions = new();
    private readonly List<DnsPacket> _messages = new();
    private readonly List<Event> _single = new(1);
    private readonly ContainerMap _containers;
    private readonly ProcessPathCache _paths = new();
    private readonly ProcessImages _images;
    private ulong _lastExpiryNs;

    /// <summary>
    /// Creates a decoder that stamps events with <paramref name="clock"/>, names containers from
    /// <paramref name="containers"/> and takes the client's binary from <paramref name="images"/> (the probes'
    /// <see cref="ProbeContext.Images"/>, what the process probe saw exec'd; default: an empty one, so only /proc).
    /// </summary>
    public DnsEventDecoder(BootClock clock, ContainerMap? containers = null, ProcessImages? images = null)
    {
        _packets = new DnsRecordDecoder(clock);
        _containers = containers ?? new ContainerMap(); // alone (tests, tools): walks cgroupfs
        _images = images ?? new ProcessImages();
    }

    /// <summary>Messages the parser could not read completely (their rows carry probe_error = 1).</summary>
    public long ParseErrors { get; private set; }

    /// <summary>The query/response matcher, for its counters (unmatched, expired, evicted).</summary>
    public DnsTransactionTracker Transactions => _transactions;

    /// <inheritdoc />
    public string? Decode(ReadOnlySpan<byte> record, List<Event> events)
    {
        if (!_packets.TryDecode(record, out var packet, out var error))
            return error;
        ExpireOldQueries(packet.BootNs);
        if (packet.Protocol == DnsTransport.Tcp)
        {
            _messages.Clear();
            _tcp.Add(packet, _messages);
            foreach (var message in _messages)
                events.Add(ToEvent(message));
        }
        else
        {
            events.Add(ToEvent(packet));
        }
        return null;
    }

    /// <summary>Single-event form, for UDP records; TCP records may give none or several, see <see cref="Decode"/>.</summary>
    public bool TryDecode(ReadOnlySpan<byte> record, [NotNullWhen(true)] out Event? evt, [NotNullWhen(false)] out string? error)
    {
        _single.Clear();
        error = Decode(record, _single);
        evt = _single.Count > 0 ? _single[0] : null;
        if (error is null && evt is null)
            error = "The record completed no DNS message (a partial TCP segment).";
        return evt is not null;
    }

    private DnsEvent ToEvent(DnsPacket packet)
    {
        var parsed = DnsMessage.Parse(packet.Payload.Span);
        var fields = DnsEventFields.From(parsed);
        if (fields.ProbeError)
            ParseErrors++;

        var process = packet.Client;
        var evt = new DnsEvent
        {
            BootTimeNs = packet.BootNs,
            Time = packet.Time,
            Tid = process.Tid,
            Pid = process.Pid,
            Parent = process.Parent,
            Uid = process.Uid,
            Gid = process.Gid,
            CgroupId = process.CgroupId,
            Comm = process.Comm,
            Path = process.IsKnown ? ClientPath(process.Pid, packet.BootNs) : "",
            Kind = fields.Kind,
            Id = fields.Id,
            Name = fields.Name,
            Type = fields.Type,
            TypeId = fields.TypeId,
            Status = fields.Status,
            Answers = fields.Answers,
            ResponseJson = fields.ResponseJson,
            Truncated = fields.Truncated || packet.Truncated,
            ProbeError = fields.ProbeError || packet.ProbeError || packet.Truncated,
            Protocol = packet.Protocol == DnsTransport.Tcp ? "tcp" : "udp",
            ServerAddress = packet.ServerAddress,
            ServerPort = packet.ServerPort,
            ClientAddress = packet.ClientAddress,
            ClientPort = packet.ClientPort,
        };
        if (process.IsKnown)
            evt.SetContainer(_containers.Attribute((ulong)process.CgroupId));

        if (parsed.Message is { } message && TryKey(packet, message.Id, out var key))
        {
            if (message.IsResponse)
                evt.Latency = _transactions.OnResponse(key, (long)packet.BootNs) ?? 0;
            else
                _transactions.OnQuery(key, (long)packet.BootNs);
        }
        return evt;
    }

    /// <summary>
    /// The client's binary when the packet was sent: the image its last exec before then installed (known even after
    /// it exited, as dig has by the time its packets are decoded), else /proc/PID/exe now (a process that started
    /// before the process probe, or when that probe is off; empty once it has exited).
    /// </summary>
    private string ClientPath(long pid, ulong atNs) =>
        _images.TryGet(pid, atNs, out var image) ? image.Path : _paths.Get(pid);

    private static bool TryKey(DnsPacket packet, ushort id, out DnsTransactionKey key)
    {
        key = default;
        if (!IPAddress.TryParse(packet.ClientAddress, out var client) || !IPAddress.TryParse(packet.ServerAddress, out var server))
            return false;
        key = new DnsTransactionKey(id, packet.Protocol, client, (ushort)packet.ClientPort, server, (ushort)packet.ServerPort);
        return true;
    }

    private void ExpireOldQueries(ulong nowNs)
    {
        // Unanswered queries are dropped from the matcher about once a second (and counted there).
        if (nowNs - _lastExpiryNs < 1_000_000_000)
            return;
        _lastExpiryNs = nowNs;
        _transactions.Expire((long)nowNs);
    }
}
