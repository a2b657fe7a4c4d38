using System.Diagnostics;

namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// DNS facts: a child of ours (<see cref="DnsClientChild"/>) asks the guest's dnsmasq for an A record over UDP
/// and over TCP; the query and the response rows must name the client's pid, the server and the answer.
/// </summary>
internal static class DnsWorkload
{
    private const string Table = "ebpf_dns_events";

    public static IEnumerable<Check> Run(Dnsmasq server)
    {
        foreach (var protocol in new[] { "udp", "tcp" })
        {
            var name = $"{protocol}-{Guid.NewGuid():N}.{Dnsmasq.Zone}";
            var id = (ushort)Random.Shared.Next(1, 65535);
            var (clientPid, output) = RunClient(protocol, server.Address, name, id);
            if (output != "0 " + Dnsmasq.ARecordAddress)
                throw new InvalidOperationException($"dnsmasq answered the {protocol} query for {name} with '{output}'.");

            Check Row(string kind, params Expectation[] expect) => new()
            {
                Name = $"dns.{protocol}.{kind}",
                Probe = "dns",
                Table = Table,
                What = $"the {protocol} {kind} for {name}",
                Where = new Dictionary<string, string> { ["name"] = name },
                Selects = r => r.GetValueOrDefault("kind") == kind,
                Expect =
                [
                    Expectation.Equal("pid", clientPid), Expectation.Equal("protocol", protocol), Expectation.Equal("id", id),
                    Expectation.Equal("type", "A"), Expectation.Equal("server_address", server.Address),
                    Expectation.Equal("server_port", 53), .. expect,
                ],
                Shown = ["kind", "protocol", "pid", "id"],
            };
            yield return Row("query");
            yield return Row("response", Expectation.Equal("status", 0), Expectation.Contains("answers", "A " + Dnsmasq.ARecordAddress),
                Expectation.Positive("latency"));
        }
    }

    private static (int Pid, string Output) RunClient(string protocol, string server, string name, ushort id)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "dns-client", protocol, server, name, id.ToString() })
            start.ArgumentList.Add(arg);
        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the DNS client.");
        var output = child.StandardOutput.ReadToEnd().Trim();
        if (!child.WaitForExit(60_000) || child.ExitCode != 0)
            throw new InvalidOperationException($"The {protocol} DNS client for {name} failed: '{output}'.");
        return (child.Id, output);
    }
}
