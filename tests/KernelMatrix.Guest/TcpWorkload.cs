using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// TCP facts over IPv4 and IPv6 loopback: this process binds, listens, accepts and closes; a child of ours
/// (<see cref="TcpClientChild"/>) connects, writes and closes. Every row must name both ends and its pid.
/// </summary>
internal static class TcpWorkload
{
    private const string Table = "ebpf_socket_events";

    public static IEnumerable<Check> Run(string name, IPAddress address)
    {
        var me = Environment.ProcessId;
        var host = address.ToString();
        var family = address.AddressFamily == AddressFamily.InterNetworkV6 ? 10 : 2;
        using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(4);
        var serverPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var serverFd = (int)listener.Handle;

        var accepting = Task.Run(() =>
        {
            using var accepted = listener.Accept();
            var buffer = new byte[64];
            while (accepted.Receive(buffer) > 0)
            {
            }
            return ((int)accepted.Handle, ((IPEndPoint)accepted.RemoteEndPoint!).Port);
        });
        var (clientPid, clientPort, clientFd) = RunClient(host, serverPort);
        if (!accepting.Wait(TimeSpan.FromSeconds(60)))
            throw new TimeoutException($"No connection accepted on {host} port {serverPort} within 60 s.");
        var (acceptedFd, acceptedRemotePort) = accepting.Result;
        if (acceptedRemotePort != clientPort)
            throw new InvalidOperationException($"The client said port {clientPort}, the server saw {acceptedRemotePort}.");

        Check Row(string check, int pid, string action, string what, Func<IReadOnlyDictionary<string, string>, bool> selects, params Expectation[] expect) => new()
        {
            Name = $"{name}.{check}",
            Probe = "socket",
            Table = Table,
            What = $"the {what} by pid {pid}",
            Where = new Dictionary<string, string> { ["pid"] = pid.ToString(), ["action"] = action },
            Selects = selects,
            Expect = [Expectation.Equal("family", family), Expectation.Equal("protocol", 6), .. expect],
            Shown = ["action", "fd", "local_address", "local_port", "remote_address", "remote_port"],
        };
        static Func<IReadOnlyDictionary<string, string>, bool> Port(string column, int port) => r => r.GetValueOrDefault(column) == port.ToString();

        yield return Row("bind", me, "bind", $"bind to {host} port {serverPort}", Port("local_port", serverPort),
            Expectation.Equal("local_address", host), Expectation.Equal("fd", serverFd), Expectation.Equal("type", 1),
            Expectation.Equal("status", "succeeded"));
        yield return Row("listen", me, "listen", $"listen on port {serverPort}", Port("local_port", serverPort),
            Expectation.Equal("local_address", host), Expectation.Equal("fd", serverFd), Expectation.Equal("status", "succeeded"));
        yield return Row("connect", clientPid, "connect", $"connect to {host} port {serverPort}", Port("remote_port", serverPort),
            Expectation.Equal("remote_address", host), Expectation.Equal("local_address", host),
            Expectation.Equal("local_port", clientPort), Expectation.Equal("fd", clientFd),
            Expectation.Equal("exit_code", 0), Expectation.Equal("status", "succeeded"), Expectation.Equal("parent", me));
        yield return Row("accept", me, "accept", $"accept on port {serverPort}", Port("local_port", serverPort),
            Expectation.Equal("local_address", host), Expectation.Equal("remote_address", host),
            Expectation.Equal("remote_port", clientPort), Expectation.Equal("fd", acceptedFd), Expectation.Equal("status", "succeeded"));
        yield return Row("close.client", clientPid, "close", $"close of the connection from port {clientPort}", Port("local_port", clientPort),
            Expectation.Equal("fd", clientFd), Expectation.Equal("remote_address", host), Expectation.Equal("remote_port", serverPort));
        yield return Row("close.server", me, "close", $"close of the accepted connection from port {clientPort}", Port("remote_port", clientPort),
            Expectation.Equal("fd", acceptedFd), Expectation.Equal("local_address", host), Expectation.Equal("local_port", serverPort));
    }

    /// <summary>Runs <see cref="TcpClientChild"/> as a child process; returns its pid and what it reports.</summary>
    private static (int Pid, int LocalPort, int Fd) RunClient(string host, int port)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "tcp-client", host, port.ToString() })
            start.ArgumentList.Add(arg);
        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the TCP client.");
        var output = child.StandardOutput.ReadToEnd().Trim();
        if (!child.WaitForExit(60_000) || child.ExitCode != 0)
            throw new InvalidOperationException($"The TCP client to {host} port {port} failed: '{output}'.");
        var parts = output.Split(' ');
        return (child.Id, int.Parse(parts[0]), int.Parse(parts[1]));
    }
}
