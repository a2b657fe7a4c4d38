using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>The socket probe with ignore_tgid set to this process, as the extension loads it.</summary>
public sealed class SocketProbeIgnoreTests
{
    [SkippableFact]
    public void The_ignored_process_is_not_recorded_and_others_still_are()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        int me = Environment.ProcessId;
        var decoder = new SocketRecordDecoder(new BootClock());
        using var probe = new LoadedNetProbe<SocketEvent>(SocketProbe.Definition, null,
            (ReadOnlySpan<byte> record, out SocketEvent? item, out string? error) =>
            {
                bool ok = decoder.TryDecode(record, out var evt, out error);
                item = evt as SocketEvent;
                return ok;
            },
            e => e.LocalAddress == "127.0.0.1" || e.RemoteAddress == "127.0.0.1",
            ignoredProcessId: me);

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var accepting = Task.Run(() => listener.Accept().Dispose());

        int client = ConnectFromBash(port);
        Assert.True(accepting.Wait(30_000));
        // A second client after this process's bind, listen and accept have returned: once its connect is
        // read, any record of this process would have been read before it.
        int marker = ConnectFromBash(port);

        probe.WaitFor(e => e.Pid == client && e.Action == "connect" && e.RemotePort == port, "the first client's connect",
            SocketProbeFixture.Describe);
        probe.WaitFor(e => e.Pid == marker && e.Action == "connect" && e.RemotePort == port, "the marker client's connect",
            SocketProbeFixture.Describe);
        Assert.Empty(probe.Seen(e => e.Pid == me));
    }

    private static int ConnectFromBash(int port)
    {
        var start = new ProcessStartInfo("/bin/bash");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec 3<>/dev/tcp/127.0.0.1/$1 && exec 3>&-");
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(port.ToString());
        using var bash = Process.Start(start)!;
        Assert.True(bash.WaitForExit(30_000), "bash finished within 30 s");
        return bash.Id;
    }
}
