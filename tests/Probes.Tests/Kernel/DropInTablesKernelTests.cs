using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OsqueryBpf.Events;
using OsqueryBpf.Tables;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>
/// The drop-in bpf_process_events and bpf_socket_events over rows from real syscalls: the process and socket probes
/// loaded into this kernel, their decoded events written into a store through its ingest path, read back through
/// the views with osquery 5.23.1's values.
/// </summary>
public sealed class DropInTablesKernelTests
{
    [SkippableFact]
    public async Task ExecWithASpacedArgumentFailedExecAndTcpAcceptGiveOsquerysValues()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        var marker = "osqbpf-dropin-" + Guid.NewGuid().ToString("N");
        using var processes = new LoadedProbe(ProcessProbe.Definition, null,
            e => e is ProcessEvent p && (p.Argv.Any(a => a.Contains(marker)) || p.Path.Contains(marker)));
        var testPid = Environment.ProcessId;
        using var sockets = new LoadedProbe(SocketProbe.Definition, null, e => e is SocketEvent s && s.Pid == testPid && s.Action == "accept");

        // A successful exec with an argument containing a space; the shell then fails to exec a missing file (ENOENT).
        var missing = "/nonexistent-" + marker;
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", $"{missing} x; exit 0", "sh", marker, "two words" })
            start.ArgumentList.Add(arg);
        using (var shell = Process.Start(start)!)
        {
            shell.StandardError.ReadToEnd();
            Assert.True(shell.WaitForExit(30_000));
        }
        var exec = processes.WaitFor<ProcessEvent>(p => p.Argv.Contains("two words") && p.ExitCode == 0, "the exec of sh");
        var failed = processes.WaitFor<ProcessEvent>(p => p.Path.Contains(missing) && p.ExitCode < 0, "the failed exec");

        // A TCP accept on loopback (.NET accepts with accept4).
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var accepted = await listener.AcceptTcpClientAsync();
        var accept = sockets.WaitFor<SocketEvent>(s => s.ExitCode >= 0 && s.Protocol == 6, "the accept");

        await using var store = EventStore.Open(new StoreOptions { DatabasePath = StoreOptions.InMemory }, ProbeCatalog.Tables, DropInTables.All);
        foreach (var e in new Event[] { exec, failed, accept })
            Assert.True(store.TryAdd(e));
        await store.FlushAsync();

        var rows = await store.QueryAsync("bpf_process_events", [], null);
        var row = Assert.Single(rows); // the failed exec is left out
        Assert.Equal("exec", row["syscall"]);
        Assert.Equal($"/bin/sh -c '{missing} x; exit 0' sh {marker} 'two words'", row["cmdline"]);
        Assert.Equal("0", row["exit_code"]);
        Assert.Equal(exec.Pid.ToString(), row["pid"]);
        Assert.Equal(2, (await store.QueryAsync("ebpf_process_events", [], ["eid"])).Count); // ours keeps the failed exec too
        var socket = Assert.Single(await store.QueryAsync("bpf_socket_events", [], null));
        Assert.Equal("accept", socket["syscall"]);
        Assert.Equal(accept.Syscall, (await store.QueryAsync("ebpf_socket_events", [], ["syscall"])).Single()["syscall"]); // ours names the syscall
        Assert.Equal("6", socket["protocol"]);
        Assert.Equal("127.0.0.1", socket["local_address"]);
    }
}
