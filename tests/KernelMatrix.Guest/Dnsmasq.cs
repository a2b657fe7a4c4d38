using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// A real dnsmasq answering on port 53 of a loopback address of its own (127.53.x.y, so it collides with
/// nothing when this program runs on a busy host), with one local zone and nothing else: no upstream, no
/// hosts file, no pid file. It keeps root (--user=root) because a guest has no dnsmasq user.
/// </summary>
internal sealed class Dnsmasq : IDisposable
{
    public const string Zone = "kmatrix.test";
    public const string ARecordAddress = "10.1.2.3";
    private readonly Process _process;

    public Dnsmasq(string binary)
    {
        Address = $"127.53.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}";
        var start = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[]
                 {
                     "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--pid-file",
                     "--user=root", "--bind-interfaces", "--listen-address=" + Address, "--port=53",
                     $"--address=/{Zone}/{ARecordAddress}",
                 })
            start.ArgumentList.Add(arg);
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + binary);
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("dnsmasq: " + e.Data); };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("dnsmasq: " + e.Data); };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    /// <summary>The loopback address it answers on.</summary>
    public string Address { get; }

    /// <summary>Null once it answers, else why not (it exited, or did not answer in time).</summary>
    public string? WaitUntilAnswering(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
                return $"dnsmasq exited with {_process.ExitCode}";
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 500 };
                udp.SendTo(DnsWire.Query(1, "ready." + Zone), new IPEndPoint(IPAddress.Parse(Address), 53));
                var buffer = new byte[512];
                if (DnsWire.Parse(buffer.AsSpan(0, udp.Receive(buffer))).Addresses.Contains(ARecordAddress))
                    return null;
            }
            catch (SocketException)
            {
            }
            if (DateTime.UtcNow > deadline)
                return $"dnsmasq on {Address} did not answer within {timeout.TotalSeconds} s";
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
