using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OsqueryBpf.OsquerydDouble;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>
/// The published binary with every probe loaded, registered with the osqueryd double: real workloads made by
/// the test appear in the four event tables, and osqueryd-style generate calls with pushed-down constraints
/// return exactly the matching rows.
/// </summary>
public sealed class EventTablesTests : IClassFixture<EventTablesTests.RunningExtension>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private readonly RunningExtension _extension;

    public EventTablesTests(RunningExtension extension) => _extension = extension;

    /// <summary>One extension process with all probes for the whole class: the file probe takes seconds to verify.</summary>
    public sealed class RunningExtension : IDisposable
    {
        private ExtensionManagerDouble? _manager;
        private ExtensionProcess? _process;
        private Exception? _failure;

        public ExtensionCaller Caller { get; private set; } = null!;

        public long StartTime { get; private set; }

        public void Require()
        {
            Requirements.RequireRoot();
            Requirements.RequireKernelBtf();
            ExtensionProcess.RequirePublishedBinary();
            lock (this)
            {
                if (_failure is not null)
                    throw new InvalidOperationException("The extension did not start: " + _failure.Message, _failure);
                if (_process is not null)
                    return;
                try
                {
                    Start();
                }
                catch (Exception e)
                {
                    _failure = e;
                    throw;
                }
            }
        }

        private void Start()
        {
            StartTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            _manager = new ExtensionManagerDouble();
            _manager.Start();
            _process = ExtensionProcess.StartWithSettings("""{"database": ":memory:"}""",
                "--socket", _manager.SocketPath, "--timeout", "10", "--interval", "3");
            var registration = _manager.WaitForRegistrationAsync(1, Long).GetAwaiter().GetResult();
            Caller = _manager.CallerFor(registration.Reply.Uuid);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            while (true)
            {
                var probes = File.Exists(_manager.ExtensionSocketPath(registration.Reply.Uuid))
                    ? Caller.Generate("ebpf_probes", "{}").Rows
                    : [];
                if (probes.Count == 4 && probes.All(p => p["status"] != "loading"))
                {
                    var notRunning = probes.Where(p => p["status"] != "running").ToList();
                    if (notRunning.Count > 0)
                        throw new InvalidOperationException("Probes did not start: " + string.Join(" | ", notRunning.Select(p => $"{p["name"]}: {p["error"]}")));
                    return;
                }
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException("The probes did not settle within 3 minutes. Stderr:\n" + _process.Stderr);
                Thread.Sleep(200);
            }
        }

        public string Stderr => _process?.Stderr ?? "";

        public void Dispose()
        {
            _process?.Dispose();
            _manager?.Dispose();
        }
    }

    private List<Dictionary<string, string>> WaitForRows(string table, ContextJson context, Func<Dictionary<string, string>, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var reply = _extension.Caller.Generate(table, context.ToString());
            Assert.True(reply.Status.Code == 0, $"generate {table} failed: {reply.Status.Message}");
            var rows = reply.Rows.Where(match).ToList();
            if (rows.Count > 0)
                return rows;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"No row in {table} for {what} within {Long.TotalSeconds} s ({reply.Rows.Count} rows matched the constraints). Extension stderr:\n{_extension.Stderr}");
            Thread.Sleep(250);
        }
    }

    [SkippableFact]
    public void ExecAppearsInProcessEventsWithItsArgvParentAndCwd()
    {
        _extension.Require();
        var dir = Directory.CreateTempSubdirectory("e2e-exec-");
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = dir.FullName, UseShellExecute = false };
        foreach (var arg in new[] { "-c", "exit 7", "sh", marker, "two words" })
            start.ArgumentList.Add(arg);
        using var child = Process.Start(start)!;
        child.WaitForExit();
        Assert.Equal(7, child.ExitCode);

        var context = new ContextJson().Equal("pid", child.Id).Where("time", 32, _extension.StartTime.ToString())
            .Uses("pid", "parent", "path", "cmdline", "cwd", "syscall", "exit_code", "json_cmdline");
        var exec = WaitForRows("ebpf_process_events", context, r => r["syscall"] == "execve", "the exec")[0];
        Assert.Equal($"/bin/sh -c exit 7 sh {marker} two words", exec["cmdline"]);
        Assert.Equal($"[\"/bin/sh\",\"-c\",\"exit 7\",\"sh\",\"{marker}\",\"two words\"]", exec["json_cmdline"]);
        Assert.Equal(Environment.ProcessId.ToString(), exec["parent"]);
        Assert.Equal(dir.FullName, exec["cwd"]);
        Assert.Equal("0", exec["exit_code"]);
        Assert.EndsWith("sh", exec["path"]);
        var exit = WaitForRows("ebpf_process_events", context, r => r["syscall"] == "exit", "the exit")[0];
        Assert.Equal("7", exit["exit_code"]);
        dir.Delete(true);
    }

    [SkippableFact]
    public void FileOperationsAppearWithAbsolutePaths()
    {
        _extension.Require();
        var dir = Directory.CreateTempSubdirectory("e2e-file-");
        var first = Path.Combine(dir.FullName, "first name.txt");
        var second = Path.Combine(dir.FullName, "second");
        File.WriteAllText(first, "x");
        File.Move(first, second);
        File.Delete(second);

        var byPath = new ContextJson().Where("path", 65, dir.FullName + "/%").Equal("pid", Environment.ProcessId)
            .Uses("action", "path", "dest_path", "pid", "exit_code");
        WaitForRows("ebpf_file_events", byPath, r => r["action"] == "create" && r["path"] == first, "the create");
        var rename = WaitForRows("ebpf_file_events", byPath, r => r["action"] == "rename", "the rename")[0];
        Assert.Equal(first, rename["path"]);
        Assert.Equal(second, rename["dest_path"]);
        Assert.Equal("0", rename["exit_code"]);
        WaitForRows("ebpf_file_events", byPath, r => r["action"] == "unlink" && r["path"] == second, "the unlink");
        dir.Delete(true);
    }

    [SkippableFact]
    public void LoopbackConnectAppearsInSocketEvents()
    {
        _extension.Require();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using (var client = new TcpClient(AddressFamily.InterNetwork)) // not dual-mode, which would connect to ::ffff:127.0.0.1
        {
            client.Connect(IPAddress.Loopback, port);
            using var accepted = listener.AcceptTcpClient();
        }

        var context = new ContextJson().Equal("remote_port", port).Equal("pid", Environment.ProcessId)
            .Uses("action", "remote_address", "remote_port", "status", "pid", "family");
        var connect = WaitForRows("ebpf_socket_events", context, r => r["action"] == "connect", "the connect")[0];
        Assert.Equal("127.0.0.1", connect["remote_address"]);
        Assert.Equal("succeeded", connect["status"]);
        Assert.Equal("2", connect["family"]);
    }

    [SkippableFact]
    public void DnsQueryIsAttributedToTheSendingProcess()
    {
        _extension.Require();
        var name = $"e2e-{Guid.NewGuid():N}.test";
        using (var udp = new UdpClient(AddressFamily.InterNetwork))
        {
            // A real query for an A record, sent to port 53 on loopback; nothing needs to answer it.
            udp.Send(Query(0x4242, name), new IPEndPoint(IPAddress.Parse("127.0.0.1"), 53));
        }
        var context = new ContextJson().Equal("name", name).Uses("kind", "name", "type", "pid", "protocol", "id", "server_port");
        var query = WaitForRows("ebpf_dns_events", context, r => r["kind"] == "query", "the query")[0];
        Assert.Equal(Environment.ProcessId.ToString(), query["pid"]);
        Assert.Equal("A", query["type"]);
        Assert.Equal("udp", query["protocol"]);
        Assert.Equal("16962", query["id"]);
        Assert.Equal("53", query["server_port"]);
    }

    [SkippableFact]
    public void TimeConstraintSelectsExactlyTheMatchingRows()
    {
        _extension.Require();
        var all = _extension.Caller.Generate("ebpf_file_events", new ContextJson().Uses("eid", "time").ToString());
        Assert.Equal(0, all.Status.Code);
        Assert.NotEmpty(all.Rows);
        var times = all.Rows.Select(r => long.Parse(r["time"])).OrderBy(t => t).ToList();
        var cut = times[times.Count / 2];
        var later = _extension.Caller.Generate("ebpf_file_events", new ContextJson().Where("time", 4, cut.ToString()).Uses("eid", "time").ToString());
        Assert.Equal(0, later.Status.Code);
        Assert.All(later.Rows, r => Assert.True(long.Parse(r["time"]) > cut));
        // Rows arriving between the two calls can only add to the later answer, never remove from it.
        var expected = all.Rows.Where(r => long.Parse(r["time"]) > cut).Select(r => r["eid"]).ToHashSet();
        Assert.Subset(later.Rows.Select(r => r["eid"]).ToHashSet(), expected);
        var future = _extension.Caller.Generate("ebpf_file_events",
            new ContextJson().Where("time", 4, (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600).ToString()).ToString());
        Assert.Empty(future.Rows);
    }

    private static byte[] Query(ushort id, string name)
    {
        var bytes = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (var label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }
        bytes.AddRange(new byte[] { 0, 0, 1, 0, 1 });
        return bytes.ToArray();
    }

    [SkippableFact]
    public async Task TheDropInTablesGiveOsquerysValuesForRealExecsAndAnAccept()
    {
        _extension.Require();
        var marker = "dropin-" + Guid.NewGuid().ToString("N");
        var missing = "/nonexistent-" + marker;
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", $"{missing} x; exit 0", "sh", marker, "two words" })
            start.ArgumentList.Add(arg);
        using (var shell = Process.Start(start)!)
        {
            shell.StandardError.ReadToEnd();
            shell.WaitForExit();
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var accepted = await listener.AcceptTcpClientAsync();

        var since = new ContextJson().Where("time", 32, _extension.StartTime.ToString());
        // The failed exec is in our table (so it happened and was seen) but not in the drop-in.
        WaitForRows("ebpf_process_events", since, r => r["path"].Contains(missing) && r["exit_code"].StartsWith('-'), "the failed exec");
        var exec = WaitForRows("bpf_process_events", since, r => r["cmdline"].Contains(marker), "the exec")[0];
        Assert.Equal("exec", exec["syscall"]);
        Assert.Equal($"/bin/sh -c '{missing} x; exit 0' sh {marker} 'two words'", exec["cmdline"]);
        Assert.Equal("0", exec["exit_code"]);
        Assert.DoesNotContain(_extension.Caller.Generate("bpf_process_events", since.ToString()).Rows, r => r["path"].Contains(missing));

        var accept = WaitForRows("bpf_socket_events", new ContextJson().Equal("pid", Environment.ProcessId).Where("time", 32, _extension.StartTime.ToString()),
            r => r["syscall"] == "accept" && r["local_port"] == port.ToString(), "the accept")[0];
        Assert.Equal(("127.0.0.1", "6"), (accept["local_address"], accept["protocol"]));
    }
}
