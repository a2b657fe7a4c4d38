using System.Text;
using OsqueryBpf.Events;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.Probes.Tests.Kernel;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>
/// dig exits at once: by the time its packets are decoded its /proc entry is gone. The DNS row's path comes from the
/// exec the process probe saw (<see cref="ProcessImages"/>), at the time of the packet. The packets are decoded here
/// only after dig has exited and been reaped, so nothing but that record can give the path.
/// </summary>
public sealed class DnsClientPathTests
{
    [SkippableFact]
    public void A_dns_row_of_a_client_that_already_exited_has_its_path()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        Requirements.RequireTool("dig");
        var images = new ProcessImages(); // as the runner's ProbeContext shares it between the probes' decoders
        using var processes = new LoadedProbe(ProcessProbe.Definition, null, e => e is ProcessEvent p && p.Comm == "dig", images: images);
        using var packets = new LoadedNetProbe<byte[]>(DnsProbe.Definition, null,
            (ReadOnlySpan<byte> record, out byte[]? item, out string? error) =>
            {
                item = record.ToArray(); // decoded later, once dig is gone
                error = null;
                return true;
            },
            _ => true);
        using var server = new Dnsmasq("short text");

        var label = "gone-" + Guid.NewGuid().ToString("N")[..16];
        var name = label + "." + Dnsmasq.Zone;
        var (digPid, output) = server.Dig(name, "A"); // returns once dig has exited and been reaped
        Assert.Contains(Dnsmasq.ARecordAddress, output);
        Assert.False(File.Exists($"/proc/{digPid}/exe") && new FileInfo($"/proc/{digPid}/exe").LinkTarget is not null, "dig is still there");

        var exit = processes.WaitFor<ProcessEvent>(e => e.Syscall == "exit" && e.Pid == digPid, "dig's exit");
        var dig = Shell.RealPath(Requirements.FindTool("dig")!);
        Assert.Equal(dig, exit.Path); // the exit row has the path too
        Assert.False(string.IsNullOrEmpty(exit.Cwd));
        var labelBytes = Encoding.ASCII.GetBytes(label);
        packets.WaitFor(r => r.AsSpan().IndexOf(labelBytes) >= 0, "dig's packets");
        var records = packets.Seen(r => r.AsSpan().IndexOf(labelBytes) >= 0);

        var rows = Decode(records, images);
        var query = Assert.Single(rows, r => r.Kind == "query");
        Assert.Equal(digPid, query.Pid);
        Assert.Equal(dig, query.Path);
        Assert.All(rows, r => Assert.Equal(dig, r.Path)); // the response is attributed to dig too

        // Without what the process probe saw, /proc is all there is, and dig is gone from it.
        Assert.All(Decode(records, new ProcessImages()), r => Assert.Equal("", r.Path));
    }

    private static List<DnsEvent> Decode(List<byte[]> records, ProcessImages images)
    {
        var decoder = new DnsEventDecoder(new BootClock(), images: images);
        var rows = new List<Event>();
        foreach (var record in records)
            Assert.Null(decoder.Decode(record, rows));
        return rows.Cast<DnsEvent>().ToList();
    }
}
