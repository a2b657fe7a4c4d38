using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>
/// A real dnsmasq on a loopback address, port 53, answering bench.test names with 10.0.0.1 from its own
/// configuration (no upstream). Tries 127.0.0.1 first and other loopback addresses when that one is taken.
/// </summary>
internal sealed class DnsServer : IDisposable
{
    private readonly Process _process;

    private DnsServer(Process process, string address)
    {
        _process = process;
        Address = address;
    }

    public string Address { get; }

    public static DnsServer Start(string folder)
    {
        var failures = new List<string>();
        foreach (var address in new[] { "127.0.0.1", "127.0.0.53", "127.0.0.54", "127.0.0.99" })
        {
            var info = new ProcessStartInfo("dnsmasq") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[]
                     {
                         "--keep-in-foreground", "--no-resolv", "--no-hosts", "--listen-address=" + address, "--port=53",
                         "--bind-interfaces", "--address=/bench.test/10.0.0.1", "--pid-file=" + Path.Combine(folder, "dnsmasq.pid"),
                         "--cache-size=0", "--user=root",
                     })
                info.ArgumentList.Add(argument);
            var process = TrackedProcesses.Start(info);
            var errors = process.StandardError.ReadToEndAsync();
            var server = new DnsServer(process, address);
            if (server.Answers(TimeSpan.FromSeconds(10)))
                return server;
            server.Dispose();
            failures.Add($"{address}: {errors.Result.Trim()}");
        }
        throw new InvalidOperationException("dnsmasq could not serve on any loopback address: " + string.Join("; ", failures));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            using var kill = TrackedProcesses.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]));
            TrackedProcesses.WaitOrKill(kill, TimeSpan.FromSeconds(10));
        }
        TrackedProcesses.WaitOrKill(_process, TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    /// <summary>Sends a query for ready.bench.test until an answer comes or the time is up.</summary>
    private bool Answers(TimeSpan timeout)
    {
        byte[] query = [0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, (byte)'r', (byte)'e', (byte)'a', (byte)'d', (byte)'y',
            5, (byte)'b', (byte)'e', (byte)'n', (byte)'c', (byte)'h', 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 0, 0, 1, 0, 1];
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 200 };
        var server = new IPEndPoint(IPAddress.Parse(Address), 53);
        var deadline = Stopwatch.StartNew();
        var answer = new byte[512];
        while (deadline.Elapsed < timeout && !_process.HasExited)
        {
            socket.SendTo(query, server);
            try
            {
                if (socket.Receive(answer) >= 12 && answer[0] == 0x12 && answer[1] == 0x34)
                    return true;
            }
            catch (SocketException)
            {
                // No answer yet.
            }
        }
        return false;
    }
}
