using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OsqueryBpf.Events;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>
/// The DNS probe as the product runs it (embedded dns.bpf.o, <see cref="DnsProbe.Definition"/>, <see cref="DnsEventDecoder"/>)
/// against a real dnsmasq: the rows of ebpf_dns_events, parsed, matched for latency, attributed to the client.
/// </summary>
public class DnsEventFixture : IDisposable
{
    public const string NxZone = "nx.osqbpf.test";
    private readonly object _gate = new();
    private LoadedNetProbe<Event>? _probe;
    private Dnsmasq? _server;

    internal DnsEventDecoder Decoder { get; } = new(new BootClock());

    internal (LoadedNetProbe<Event> Probe, Dnsmasq Server) Start()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        lock (_gate)
        {
            if (_probe is null)
            {
                string? serverAddress = null;
                _probe = new LoadedNetProbe<Event>(DnsProbe.Definition, AsKernel,
                    (ReadOnlySpan<byte> record, out Event? item, out string? error) => Decoder.TryDecode(record, out item, out error),
                    e => e is DnsEvent d && d.ServerAddress == Volatile.Read(ref serverAddress));
                // An empty --address makes dnsmasq answer NXDOMAIN for that domain (more specific than the zone's).
                _server = new Dnsmasq("short text", $"--address=/{NxZone}/");
                Volatile.Write(ref serverAddress, _server.Address);
            }
            return (_probe, _server!);
        }
    }

    /// <summary>The older kernel whose code paths the probe takes; null: this kernel's own.</summary>
    internal virtual Kernel.OlderKernel? AsKernel => null;

    public void Dispose()
    {
        _server?.Dispose();
        _probe?.Dispose();
    }
}

public class DnsEventKernelTests : IClassFixture<DnsEventFixture>
{
    private readonly DnsEventFixture _fixture;

    public DnsEventKernelTests(DnsEventFixture fixture) => _fixture = fixture;

    private static string Describe(Event e) => e is DnsEvent d
        ? $"{d.Kind} {d.Protocol} id={d.Id} '{d.Name}' {d.Type} status={d.Status} answers='{d.Answers}' pid={d.Pid} comm={d.Comm} err={d.ProbeError}"
        : e.ToString() ?? "";

    private static DnsEvent WaitFor(LoadedNetProbe<Event> probe, Func<DnsEvent, bool> match, string what) =>
        (DnsEvent)probe.WaitFor(e => e is DnsEvent d && match(d), what, Describe);

    [SkippableTheory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public void DigQueryAndResponseGiveRowsWithAnswersLatencyAndTheClientProcess(string protocol)
    {
        var (probe, server) = _fixture.Start();
        var name = $"{protocol}-{Guid.NewGuid():N}.{Dnsmasq.Zone}";
        var (digPid, output) = protocol == "tcp" ? server.Dig("+tcp", name, "A") : server.Dig(name, "A");
        Assert.Contains(Dnsmasq.ARecordAddress, output);

        var query = WaitFor(probe, d => d.Name == name && d.Kind == "query", "dig's query");
        var response = WaitFor(probe, d => d.Name == name && d.Kind == "response", "dnsmasq's response");
        foreach (var row in new[] { query, response })
        {
            Assert.Equal(digPid, row.Pid); // comm is the sending thread's name (dig sends from isc-net-0000)
            Assert.Equal(protocol, row.Protocol);
            Assert.Equal("A", row.Type);
            Assert.Equal(1, row.TypeId);
            Assert.Equal(server.Address, row.ServerAddress);
            Assert.Equal(53, row.ServerPort);
            Assert.False(row.ProbeError, Describe(row));
        }
        Assert.Equal(query.Id, response.Id);
        Assert.Equal(query.ClientPort, response.ClientPort);
        Assert.Equal(0, response.Status);
        Assert.Contains("A " + Dnsmasq.ARecordAddress, response.Answers);
        Assert.Contains(Dnsmasq.ARecordAddress, response.ResponseJson);
        Assert.True(response.Latency > 0, $"latency {response.Latency}");
        Assert.Equal(0, query.Latency);
    }

    [SkippableFact]
    public void NxdomainIsStatusThree()
    {
        var (probe, server) = _fixture.Start();
        var name = $"gone-{Guid.NewGuid():N}.{DnsEventFixture.NxZone}";
        var (digPid, output) = server.Dig(name, "AAAA");
        Assert.Contains("NXDOMAIN", output);
        var response = WaitFor(probe, d => d.Name == name && d.Kind == "response", "the NXDOMAIN response");
        Assert.Equal(3, response.Status);
        Assert.Equal("AAAA", response.Type);
        Assert.Equal("", response.Answers);
        Assert.Equal(digPid, response.Pid);
    }

    [SkippableFact]
    public void TheSystemResolverIsAttributedToGetent()
    {
        var (probe, server) = _fixture.Start();
        Requirements.RequireTool("unshare");
        var name = $"getent-{Guid.NewGuid():N}.{Dnsmasq.Zone}";
        var resolv = Path.Combine(Path.GetTempPath(), $"resolv-{Guid.NewGuid():N}.conf");
        File.WriteAllText(resolv, $"nameserver {server.Address}\noptions attempts:1 timeout:5\n");
        try
        {
            // A private mount namespace points only getent's resolver at dnsmasq; the host's resolv.conf is untouched.
            var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "--mount", "--propagation", "private", "sh", "-c", $"mount --bind {resolv} /etc/resolv.conf && exec getent ahostsv4 {name}" })
                start.ArgumentList.Add(arg);
            using var getent = Process.Start(start)!;
            var output = getent.StandardOutput.ReadToEnd();
            Assert.True(getent.WaitForExit(30_000));
            Assert.True(getent.ExitCode == 0, $"getent failed: {output} {getent.StandardError.ReadToEnd()}");
            Assert.Contains(Dnsmasq.ARecordAddress, output);

            var response = WaitFor(probe, d => d.Name == name && d.Kind == "response" && d.Type == "A", "the resolver's response");
            Assert.Equal("getent", response.Comm);
            Assert.Equal(getent.Id, response.Pid); // sh exec'd getent, so the pid is the one we started
            Assert.Contains("A " + Dnsmasq.ARecordAddress, response.Answers);
        }
        finally
        {
            File.Delete(resolv);
        }
    }

    [SkippableFact]
    public void HostilePacketsBecomeFlaggedRowsAndNothingBreaks()
    {
        var (probe, server) = _fixture.Start();
        var before = _fixture.Decoder.ParseErrors;
        var hostile = new List<(ushort Id, byte[] Packet)>
        {
            (0x7001, Header(0x7001, qd: 1, trailing: [0xC0, 12, 0, 1, 0, 1])),           // a name pointing at itself
            (0x7002, Header(0x7002, qd: 1, trailing: [0xC0, 14, 0xC0, 12, 0, 1, 0, 1])), // A -> B -> A
            (0x7003, Header(0x7003, qd: 1, trailing: [60, (byte)'a', (byte)'b'])),       // a label past the end
            (0x7004, Header(0x7004, qd: 65535, an: 65535, trailing: [0])),               // huge counts, nothing behind them
            (0x7005, Header(0x7005, qd: 1, trailing: [0, 0, 0, 0, 1, 0, 1])),            // zero-length labels in a row
            (0x7006, Header(0x7006, qd: 1, trailing: [0xFF, 0xFF])),                     // a pointer far past the end
        };
        using (var udp = new UdpClient(AddressFamily.InterNetwork))
        {
            foreach (var (_, packet) in hostile)
                udp.Send(packet, new IPEndPoint(IPAddress.Parse(server.Address), 53));
        }
        foreach (var (id, _) in hostile.Where(h => h.Id != 0x7005))
        {
            var row = WaitFor(probe, d => d.Id == id && d.Kind == "query" && d.Pid == Environment.ProcessId, $"the hostile packet {id:x4}");
            Assert.True(row.ProbeError, Describe(row));
        }
        Assert.True(_fixture.Decoder.ParseErrors >= before + 5, $"parse errors counted: {_fixture.Decoder.ParseErrors - before}");

        // The server and the probe still work.
        var name = $"after-{Guid.NewGuid():N}.{Dnsmasq.Zone}";
        server.Dig(name, "A");
        WaitFor(probe, d => d.Name == name && d.Kind == "response", "a response after the hostile packets");
    }

    private static byte[] Header(ushort id, ushort qd = 0, ushort an = 0, byte[]? trailing = null)
    {
        var header = new byte[] { (byte)(id >> 8), (byte)id, 0x01, 0x00, (byte)(qd >> 8), (byte)qd, (byte)(an >> 8), (byte)an, 0, 0, 0, 0 };
        return [.. header, .. trailing ?? []];
    }
}

/// <summary>The DNS probe as it runs on Linux 5.10: the socket filter reads the sending task with probe reads.</summary>
public sealed class DnsEventAsLinux510Fixture : DnsEventFixture
{
    internal override Kernel.OlderKernel? AsKernel => Kernel.OlderKernel.Linux510;
}

/// <summary>The DNS event tests with the probe on the code paths of Linux 5.10.</summary>
public sealed class DnsEventAsLinux510Tests : DnsEventKernelTests, IClassFixture<DnsEventAsLinux510Fixture>
{
    public DnsEventAsLinux510Tests(DnsEventAsLinux510Fixture fixture) : base(fixture)
    {
    }
}
