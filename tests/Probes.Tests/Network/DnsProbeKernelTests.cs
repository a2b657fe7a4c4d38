using System.Buffers.Binary;
using OsqueryBpf.Dns;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>dns.bpf.o loaded once, with a dnsmasq for <see cref="DnsProbeKernelTests"/>.</summary>
public sealed class DnsProbeFixture : IDisposable
{
    /// <summary>A TXT answer long enough to make the response pass the probe's capture limit (DnsProbe.PayloadLimit).</summary>
    public static readonly string LongText = string.Join(",", "uvwxyz".Select(c => new string(c, 240)));

    private readonly object _gate = new();
    private LoadedNetProbe<DnsPacket>? _probe;
    private Dnsmasq? _server;

    internal (LoadedNetProbe<DnsPacket> Probe, Dnsmasq Server) Start()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        Requirements.RequireTool("dnsmasq");
        Requirements.RequireTool("dig");
        lock (_gate)
        {
            if (_probe is null)
            {
                var decoder = new DnsRecordDecoder(new BootClock());
                _probe = new LoadedNetProbe<DnsPacket>(DnsProbe.Definition, null,
                    (ReadOnlySpan<byte> record, out DnsPacket? item, out string? error) => decoder.TryDecode(record, out item, out error),
                    p => p.ServerAddress.StartsWith("127.53.", StringComparison.Ordinal));
                // Started after the probe, so the probe also sees dnsmasq bind its port 53 sockets.
                // dnsmasq answers at most 1232 bytes over UDP by default; the long answer must pass the capture limit.
                _server = new Dnsmasq(LongText, "--edns-packet-max=4096");
            }
            return (_probe, _server!);
        }
    }

    public static string Describe(DnsPacket p) =>
        $"{p.Protocol} {p.SourceAddress}:{p.SourcePort} -> {p.DestinationAddress}:{p.DestinationPort} {p.Direction} " +
        $"len={p.PayloadLength}/{p.Payload.Length} client={p.Client.Pid}({p.Client.Comm},{p.Client.Source}) " +
        $"server={p.Server.Pid}({p.Server.Comm},{p.Server.Source})";

    public void Dispose()
    {
        _server?.Dispose();
        _probe?.Dispose();
    }
}

/// <summary>DNS over loopback between dig and a real dnsmasq, seen by dns.bpf.c in the real kernel.</summary>
public sealed class DnsProbeKernelTests : IClassFixture<DnsProbeFixture>
{
    private readonly DnsProbeFixture _fixture;

    public DnsProbeKernelTests(DnsProbeFixture fixture) => _fixture = fixture;

    private static ushort Id(DnsPacket p) => BinaryPrimitives.ReadUInt16BigEndian(p.Payload.Span);

    private static bool IsResponse(ReadOnlySpan<byte> message) => (message[2] & 0x80) != 0;

    private static bool Contains(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle) >= 0;

    [SkippableFact]
    public void Udp_query_and_response_are_attributed_to_dig_and_dnsmasq_once_each()
    {
        var (probe, server) = _fixture.Start();
        string name = $"u{Guid.NewGuid():N}.{Dnsmasq.Zone}";
        var (digPid, output) = server.Dig("+notcp", "+short", name, "A");
        Assert.Contains(Dnsmasq.ARecordAddress, output);

        var query = probe.WaitFor(p => p.Client.Pid == digPid && p.FromClient && p.Protocol == DnsTransport.Udp, "dig's UDP query",
            DnsProbeFixture.Describe);
        Assert.Equal(server.Address, query.DestinationAddress);
        Assert.Equal(53, query.DestinationPort);
        Assert.Equal(DnsDirection.Loopback, query.Direction);
        Assert.Equal(DnsAttribution.SendingTask, query.Client.Source);
        Assert.False(IsResponse(query.Payload.Span));
        Assert.False(query.Truncated);
        Assert.Equal(query.PayloadLength, query.Payload.Length);
        Assert.Equal(server.Pid, query.Server.Pid);
        Assert.Equal("dnsmasq", query.Server.Comm);

        var response = probe.WaitFor(p => !p.FromClient && p.Protocol == DnsTransport.Udp && p.ClientPort == query.ClientPort &&
                                           Id(p) == Id(query), "dnsmasq's UDP response", DnsProbeFixture.Describe);
        Assert.True(IsResponse(response.Payload.Span));
        Assert.Equal(digPid, response.Client.Pid); // the receiver of the response
        Assert.Equal(DnsAttribution.PortMap, response.Client.Source);
        Assert.Equal(server.Pid, response.Server.Pid); // the sender of the response
        Assert.Equal(DnsAttribution.SendingTask, response.Server.Source);
        Assert.True(Contains(response.Payload.Span, [10, 1, 2, 3]), "the A record's address is in the response");
        Assert.True(response.BootNs >= query.BootNs);

        // Loopback shows each packet twice to the tap; the probe keeps one.
        Assert.Single(probe.Seen(p => p.FromClient && p.ClientPort == query.ClientPort && Id(p) == Id(query)));
        Assert.Single(probe.Seen(p => !p.FromClient && p.ClientPort == query.ClientPort && Id(p) == Id(query)));
        Assert.Equal(0, probe.Malformed.Count);
    }

    [SkippableFact]
    public void Tcp_query_and_response_reassemble_and_are_attributed_to_dig()
    {
        var (probe, server) = _fixture.Start();
        string name = $"t{Guid.NewGuid():N}.{Dnsmasq.Zone}";
        var (digPid, output) = server.Dig("+tcp", "+short", name, "A");
        Assert.Contains(Dnsmasq.ARecordAddress, output);

        var first = probe.WaitFor(p => p.Client.Pid == digPid && p.Protocol == DnsTransport.Tcp && p.FromClient,
            "dig's TCP query segment", DnsProbeFixture.Describe);
        Assert.Equal(DnsAttribution.PortMap, first.Client.Source); // from dig's connect
        probe.WaitFor(p => p.Protocol == DnsTransport.Tcp && !p.FromClient && p.ClientPort == first.ClientPort,
            "dnsmasq's TCP response segment", DnsProbeFixture.Describe);

        var reassembler = new TcpDnsReassembler();
        var messages = new List<DnsPacket>();
        foreach (var segment in probe.Seen(p => p.Protocol == DnsTransport.Tcp && p.ClientPort == first.ClientPort))
            reassembler.Add(segment, messages);
        var query = Assert.Single(messages, m => m.FromClient);
        var response = Assert.Single(messages, m => !m.FromClient);
        Assert.False(IsResponse(query.Payload.Span));
        Assert.True(IsResponse(response.Payload.Span));
        Assert.Equal(Id(query), Id(response));
        Assert.True(Contains(response.Payload.Span, [10, 1, 2, 3]));
        Assert.Equal(digPid, query.Client.Pid);
        Assert.Equal(digPid, response.Client.Pid);
        Assert.Equal("dnsmasq", response.Server.Comm);
    }

    [SkippableFact]
    public void A_response_longer_than_the_capture_limit_is_cut_with_its_real_length()
    {
        var (probe, server) = _fixture.Start();
        var (digPid, output) = server.Dig("+notcp", "+bufsize=4096", "+ignore", $"long.{Dnsmasq.Zone}", "TXT");
        Assert.Contains(new string('z', 240), output);

        var response = probe.WaitFor(p => !p.FromClient && p.Client.Pid == digPid && p.Protocol == DnsTransport.Udp,
            "the long TXT response", DnsProbeFixture.Describe);
        Assert.True(response.Truncated);
        Assert.Equal((int)DnsProbe.PayloadLimit, response.Payload.Length);
        Assert.True(response.PayloadLength > 6 * 240, $"the real length {response.PayloadLength} covers the six strings");
    }
}
