using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>
/// Socket operations of real processes over loopback, seen by socket.bpf.c in the real kernel (and, in the subclass,
/// on the code paths of Linux 5.10).
/// </summary>
public class SocketProbeKernelTests : IClassFixture<SocketProbeFixture>
{
    private readonly SocketProbeFixture _fixture;

    public SocketProbeKernelTests(SocketProbeFixture fixture) => _fixture = fixture;

    private SocketEvent Wait(Func<SocketEvent, bool> match, string what) =>
        _fixture.Probe().WaitFor(match, what, SocketProbeFixture.Describe);

    /// <summary>Runs bash (which connects through /dev/tcp) and returns its pid and exit code.</summary>
    private static (int Pid, int ExitCode) Bash(string script, params string[] args)
    {
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("bash");
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), "bash finished within 30 s");
        return (process.Id, process.ExitCode);
    }

    [SkippableTheory]
    [InlineData("127.0.0.1", 2)]
    [InlineData("::1", 10)]
    public void Tcp_server_and_client_in_two_processes_have_both_ends(string host, int family)
    {
        _fixture.Probe();
        var address = IPAddress.Parse(host);
        using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(4);
        int serverPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        int serverFd = (int)listener.Handle;
        int me = Environment.ProcessId;

        // The client: bash connects, writes a line and closes (the fd 3 close is a socket close too).
        var accepting = Task.Run(() =>
        {
            using var accepted = listener.Accept();
            var buffer = new byte[16];
            accepted.Receive(buffer);
            return ((IPEndPoint)accepted.RemoteEndPoint!).Port;
        });
        var (clientPid, exit) = Bash("exec 3<>/dev/tcp/$1/$2 && echo hi >&3 && exec 3>&-", host, serverPort.ToString());
        Assert.Equal(0, exit);
        Assert.True(accepting.Wait(30_000), "the server accepted within 30 s");
        int clientPort = accepting.Result;

        var bind = Wait(e => e.Pid == me && e.Action == "bind" && e.LocalPort == serverPort, "the server's bind");
        Assert.Equal(family, bind.Family);
        Assert.Equal(host, bind.LocalAddress);
        Assert.Equal(serverFd, bind.Fd);
        Assert.Equal(1, bind.Type);
        Assert.Equal(6, bind.Protocol);
        Assert.Equal("succeeded", bind.Status);

        var listen = Wait(e => e.Pid == me && e.Action == "listen" && e.LocalPort == serverPort, "the server's listen");
        Assert.Equal(serverFd, listen.Fd);

        var connect = Wait(e => e.Pid == clientPid && e.Action == "connect", "the client's connect");
        Assert.Equal(family, connect.Family);
        Assert.Equal(host, connect.LocalAddress);
        Assert.Equal(clientPort, connect.LocalPort);
        Assert.Equal(host, connect.RemoteAddress);
        Assert.Equal(serverPort, connect.RemotePort);
        Assert.Equal(0, connect.ExitCode);
        Assert.Equal("succeeded", connect.Status);
        Assert.Equal("bash", connect.Comm);
        Assert.EndsWith("/bash", connect.Path);
        Assert.True(connect.Duration > 0);

        var accept = Wait(e => e.Pid == me && e.Action == "accept" && e.LocalPort == serverPort, "the server's accept");
        Assert.Equal(host, accept.RemoteAddress);
        Assert.Equal(clientPort, accept.RemotePort);
        Assert.Equal(accept.ExitCode, accept.Fd); // the new fd is the result
        Assert.True(accept.Fd >= 0);

        var clientClose = Wait(e => e.Pid == clientPid && e.Action == "close" && e.LocalPort == clientPort, "the client's close");
        Assert.Equal(serverPort, clientClose.RemotePort);
        Assert.Equal(connect.Fd, clientClose.Fd);
        Assert.Equal(connect.Path, clientClose.Path); // the second record of the process comes from the exe cache
        Wait(e => e.Pid == me && e.Action == "close" && e.Fd == accept.Fd && e.RemotePort == clientPort, "the server's close of the connection");
    }

    [SkippableFact]
    public void A_refused_connect_is_failed_with_the_address_asked_for()
    {
        _fixture.Probe();
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port; // free now that it is closed, and nobody listens there
        }
        var (pid, exit) = Bash("exec 3<>/dev/tcp/127.0.0.1/$1", port.ToString());
        Assert.NotEqual(0, exit);

        var connect = Wait(e => e.Pid == pid && e.Action == "connect" && e.RemotePort == port, "the refused connect");
        Assert.Equal(-111, connect.ExitCode); // ECONNREFUSED
        Assert.Equal("failed", connect.Status);
        Assert.Equal("127.0.0.1", connect.RemoteAddress);
    }

    [SkippableFact]
    public void Udp_bind_and_connect_are_reported_with_the_ports_the_kernel_chose()
    {
        _fixture.Probe();
        int me = Environment.ProcessId;
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int serverPort = ((IPEndPoint)server.LocalEndPoint!).Port;
        using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        client.Connect(new IPEndPoint(IPAddress.Loopback, serverPort));
        int clientPort = ((IPEndPoint)client.LocalEndPoint!).Port;
        int clientFd = (int)client.Handle;

        var bind = Wait(e => e.Pid == me && e.Action == "bind" && e.LocalPort == serverPort, "the UDP bind to port 0");
        Assert.Equal(2, bind.Type);
        Assert.Equal(17, bind.Protocol);
        Assert.Equal("127.0.0.1", bind.LocalAddress);

        // A dual-mode IPv6 socket reaching an IPv4 peer: the kernel (and the event) has the mapped form.
        var connect = Wait(e => e.Pid == me && e.Action == "connect" && e.Fd == clientFd && e.RemotePort == serverPort,
            "the UDP connect");
        Assert.Equal(10, connect.Family);
        Assert.Equal(17, connect.Protocol);
        Assert.Equal("::ffff:127.0.0.1", connect.RemoteAddress);
        Assert.Equal("::ffff:127.0.0.1", connect.LocalAddress);
        Assert.Equal(clientPort, connect.LocalPort);
        Assert.Equal("succeeded", connect.Status);
    }

    [SkippableFact]
    public void Unix_sockets_are_not_reported()
    {
        var probe = _fixture.Probe();
        string path = Path.Combine(Path.GetTempPath(), $"osqbpf-unix-{Guid.NewGuid():N}.sock");
        int me = Environment.ProcessId;
        // Other tests in this process may listen on an inet socket that reuses the fd number: only this thread counts,
        // and only after a first marker (xUnit runs earlier tests on this same thread).
        int thread = Kernel.TestLibc.GetTid();
        ulong since;
        using (var first = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int firstPort = ((IPEndPoint)first.LocalEndPoint!).Port;
            since = Wait(e => e.Pid == me && e.Action == "bind" && e.LocalPort == firstPort, "the first marker's bind").BootTimeNs;
        }
        try
        {
            int unixFd;
            using (var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                unix.Bind(new UnixDomainSocketEndPoint(path));
                unix.Listen(1);
                unixFd = (int)unix.Handle;
            }
            // A second marker after it: once the marker's event is in, the unix socket's would have been too.
            using (var marker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                marker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                int markerPort = ((IPEndPoint)marker.LocalEndPoint!).Port;
                Wait(e => e.Pid == me && e.Action == "bind" && e.LocalPort == markerPort, "the marker's bind");
            }
            // The decoder refuses any family but AF_INET and AF_INET6, so a unix socket record would show here.
            Assert.True(probe.Malformed.Count == 0, $"{probe.Malformed.Count} records refused, the last: {probe.Malformed.LastError}");
            var listens = probe.Seen(e => e.Pid == me && e.Tid == thread && e.Action == "listen" && e.Fd == unixFd && e.BootTimeNs > since);
            Assert.True(listens.Count == 0, "listen events on the unix socket's fd: " +
                string.Join(" | ", listens.Select(e => $"family={e.Family} {e.LocalAddress}:{e.LocalPort} tid={e.Tid}")));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>The socket probe as it runs on Linux 5.10: the task read with probe reads, the syscall arguments from the top of the kernel stack.</summary>
public sealed class SocketProbeAsLinux510Fixture : SocketProbeFixture
{
    internal override Kernel.OlderKernel? AsKernel => Kernel.OlderKernel.Linux510;
}

/// <summary>The socket tests with the probe on the code paths of Linux 5.10.</summary>
public sealed class SocketProbeAsLinux510Tests : SocketProbeKernelTests, IClassFixture<SocketProbeAsLinux510Fixture>
{
    public SocketProbeAsLinux510Tests(SocketProbeAsLinux510Fixture fixture) : base(fixture)
    {
    }
}
