using OsqueryBpf.OsquerydDouble;
using OsqueryBpf.Probes;
using Xunit;

namespace OsqueryBpf.Host.Tests;

/// <summary>
/// osquery 5.23.1's bpf_process_events and bpf_socket_events as views over our tables, registered only when the
/// osqueryd double's osquery_registry (read through query(), real SQL) has no table of that name.
/// </summary>
public sealed class DropInTableTests
{
    // specs/linux/bpf_process_events.table and bpf_socket_events.table at osquery tag 5.23.1 (commit b7538338fa):
    // name, type, hidden, additional.
    private static readonly (string Name, string Type, bool Hidden, bool Additional)[] ProcessSpec =
    [
        ("tid", "BIGINT", false, false), ("pid", "BIGINT", false, false), ("parent", "BIGINT", false, false),
        ("uid", "BIGINT", false, false), ("gid", "BIGINT", false, false), ("cid", "INTEGER", false, false),
        ("exit_code", "TEXT", false, false), ("probe_error", "INTEGER", false, false), ("syscall", "TEXT", false, false),
        ("path", "TEXT", false, false), ("cwd", "TEXT", false, false), ("cmdline", "TEXT", false, false),
        ("duration", "INTEGER", false, false), ("json_cmdline", "TEXT", true, false), ("ntime", "TEXT", false, false),
        ("time", "BIGINT", true, true), ("eid", "INTEGER", true, false),
    ];

    private static readonly (string Name, string Type, bool Hidden, bool Additional)[] SocketSpec =
    [
        ("tid", "BIGINT", false, false), ("pid", "BIGINT", false, false), ("parent", "BIGINT", false, false),
        ("uid", "BIGINT", false, false), ("gid", "BIGINT", false, false), ("cid", "INTEGER", false, false),
        ("exit_code", "TEXT", false, false), ("probe_error", "INTEGER", false, false), ("syscall", "TEXT", false, false),
        ("path", "TEXT", false, false), ("fd", "TEXT", false, false), ("family", "INTEGER", false, false),
        ("type", "INTEGER", false, false), ("protocol", "INTEGER", false, false), ("local_address", "TEXT", false, false),
        ("remote_address", "TEXT", false, false), ("local_port", "INTEGER", false, false), ("remote_port", "INTEGER", false, false),
        ("duration", "INTEGER", false, false), ("ntime", "TEXT", false, false), ("time", "BIGINT", true, true),
        ("eid", "INTEGER", true, false),
    ];

    [Fact]
    public async Task WithoutThemInOsquerydBothAreRegisteredWithOsquery5231sColumnsTypesAndFlags()
    {
        await using var run = await ExtensionUnderTest.StartAsync(_ => { });
        var tables = run.Manager.Registrations.Single(r => r.Reply.Code == 0).Registry["table"];
        Assert.Contains("ebpf_process_events", tables.Keys);
        AssertRoutes(ProcessSpec, tables["bpf_process_events"]);
        AssertRoutes(SocketSpec, tables["bpf_socket_events"]);
        // osqueryd (the double) now lists them as the extension's.
        Assert.Equal(0, run.Manager.CallerFor(run.Server.Uuid).Generate("bpf_process_events", null).Status.Code);
    }

    [Fact]
    public async Task WhenOsquerydHasThemOnlyOursAreRegisteredAndNothingClashes()
    {
        await using var run = await ExtensionUnderTest.StartAsync(manager => manager.WithBpfTables());
        var registration = Assert.Single(run.Manager.Registrations);
        Assert.Equal(0, registration.Reply.Code);
        Assert.DoesNotContain("bpf_process_events", registration.Registry["table"].Keys);
        Assert.DoesNotContain("bpf_socket_events", registration.Registry["table"].Keys);
        Assert.Contains("ebpf_socket_events", registration.Registry["table"].Keys);
    }

    [Fact]
    public async Task TheDoubleRefusesAClashAsOsquerydDoes()
    {
        // What the check above avoids: osqueryd 5.23 refuses the whole registration over one name.
        using var manager = new ExtensionManagerDouble().WithBpfTables();
        manager.Start();
        var client = new OsqueryBpf.Osquery.Manager.ExtensionManagerClient(manager.SocketPath, TimeSpan.FromSeconds(10));
        var route = new Dictionary<string, string> { ["id"] = "column", ["name"] = "x", ["type"] = "TEXT", ["op"] = "0" };
        var status = await client.RegisterExtensionAsync(new OsqueryBpf.Osquery.Thrift.InternalExtensionInfo { Name = "x", Version = "1", Sdk_version = "", Min_sdk_version = "" },
            new() { ["table"] = new() { ["ours"] = [route], ["bpf_socket_events"] = [route] } });
        Assert.Equal(1, status.Code);
        Assert.Equal("Registry item bpf_socket_events conflicts with another item of the same name.", status.Message);
    }

    [Fact]
    public async Task TheSettingTurnsThemOff()
    {
        await using var run = await ExtensionUnderTest.StartAsync(_ => { }, """{"database": ":memory:", "probes": [], "drop_in_tables": false}""");
        var tables = run.Manager.Registrations.Single().Registry["table"];
        Assert.DoesNotContain("bpf_process_events", tables.Keys);
        Assert.Null(run.Host.Store.FindTable("bpf_process_events"));
    }

    [Fact]
    public async Task WhenQueryFailsTheyAreNotOfferedSoTheyCannotClash()
    {
        await using var run = await ExtensionUnderTest.StartAsync(manager => manager.QueryFailure = "database is locked");
        var registration = Assert.Single(run.Manager.Registrations);
        Assert.Equal(0, registration.Reply.Code);
        Assert.DoesNotContain("bpf_process_events", registration.Registry["table"].Keys);
    }

    [Fact]
    public async Task ProcessRowsHaveOsquerysValues()
    {
        await using var run = await ExtensionUnderTest.StartAsync(_ => { });
        var now = run.Clock.GetUtcNow().ToUnixTimeSeconds();
        // As the process decoder fills them: a successful execve with an argument containing a space and one with a
        // tab, a failed exec (ENOENT), and the exit of the first.
        Add(run, new ProcessEvent
        {
            Time = now, BootTimeNs = 123_456_789_000, Syscall = "execve", Pid = 50, Tid = 50, Parent = 1, Uid = 1000, Gid = 1000, CgroupId = 77,
            Path = "/usr/bin/printf", Cwd = "/tmp", Argv = ["printf", "two words", "plain", "tab\there", ""], ExitCode = 0, Duration = 4321,
            ArgvSize = 32,
        });
        Add(run, new ProcessEvent { Time = now, Syscall = "execve", Pid = 51, Tid = 51, Path = "/nonexistent", Argv = ["/nonexistent"], ExitCode = -2 });
        Add(run, new ProcessEvent { Time = now, Syscall = "execveat", Pid = 52, Tid = 52, Path = "/bin/true", Argv = ["true"], ExitCode = 0 });
        Add(run, new ProcessEvent { Time = now, Syscall = "exit", Pid = 50, Tid = 50, ExitCode = 0 });

        var rows = run.Manager.CallerFor(run.Server.Uuid).Generate("bpf_process_events", null).Rows;
        Assert.Equal(["50", "52"], rows.Select(r => r["pid"]));
        var exec = rows[0];
        Assert.Equal("exec", exec["syscall"]);
        Assert.Equal("printf 'two words' plain 'tab\there' ", exec["cmdline"]);
        Assert.Equal("""["printf","two words","plain","tab\there",""]""", exec["json_cmdline"]);
        Assert.Equal("0", exec["exit_code"]);
        Assert.Equal("4321", exec["duration"]);
        Assert.Equal("123456789000", exec["ntime"]);
        Assert.Equal("77", exec["cid"]);
        Assert.Equal("/usr/bin/printf", exec["path"]);
        Assert.Equal(now.ToString(), exec["time"]);
        Assert.Equal("exec", rows[1]["syscall"]); // execveat too
        Assert.Equal(ProcessSpec.Select(c => c.Name), exec.Keys); // exactly osquery's columns, in its order
    }

    [Fact]
    public async Task SocketRowsSayAcceptForAccept4AndLeaveOutClose()
    {
        await using var run = await ExtensionUnderTest.StartAsync(_ => { });
        var now = run.Clock.GetUtcNow().ToUnixTimeSeconds();
        // As the socket decoder fills them: a TCP accept through accept4, a connect, and a close.
        Add(run, new SocketEvent
        {
            Time = now, Action = "accept", Syscall = "accept4", Pid = 60, Tid = 60, Fd = 5, Family = 2, Type = 1, Protocol = 6,
            LocalAddress = "127.0.0.1", LocalPort = 8080, RemoteAddress = "127.0.0.1", RemotePort = 40000, ExitCode = 5, Status = "succeeded",
            Path = "/usr/bin/server", Duration = 99,
        });
        Add(run, new SocketEvent { Time = now, Action = "connect", Syscall = "connect", Pid = 61, Family = 2, Type = 1, Protocol = 6, ExitCode = -111 });
        Add(run, new SocketEvent { Time = now, Action = "close", Syscall = "close", Pid = 60, Family = 2, Type = 1, Protocol = 6 });

        var rows = run.Manager.CallerFor(run.Server.Uuid).Generate("bpf_socket_events", null).Rows;
        Assert.Equal(["accept", "connect"], rows.Select(r => r["syscall"]));
        var accept = rows[0];
        Assert.Equal(("5", "5", "8080", "40000", "/usr/bin/server"), (accept["fd"], accept["exit_code"], accept["local_port"], accept["remote_port"], accept["path"]));
        Assert.Equal("-111", rows[1]["exit_code"]); // failed sockets calls stay, as in osquery
        Assert.Equal(SocketSpec.Select(c => c.Name), accept.Keys);

        // Constraints reach the view (osqueryd pushes them; hidden time is INDEX | HIDDEN | ADDITIONAL).
        var filtered = run.Manager.CallerFor(run.Server.Uuid).Generate("bpf_socket_events",
            $$"""{"constraints":[{"name":"syscall","list":[{"op":2,"expr":"accept"}],"affinity":"TEXT"},{"name":"time","list":[{"op":32,"expr":"{{now}}"}],"affinity":"BIGINT"}],"colsUsed":["pid","syscall"]}""");
        Assert.Equal(["60"], filtered.Rows.Select(r => r["pid"]));
    }

    private static void Add(ExtensionUnderTest run, OsqueryBpf.Events.Event e)
    {
        Assert.True(run.Host.Store.TryAdd(e));
        run.Host.Store.FlushAsync().GetAwaiter().GetResult();
    }

    private static void AssertRoutes((string Name, string Type, bool Hidden, bool Additional)[] spec, List<Dictionary<string, string>> routes)
    {
        var columns = routes.Where(r => r["id"] == "column").ToList();
        Assert.Equal(spec.Select(c => (c.Name, c.Type)), columns.Select(r => (r["name"], r["type"])));
        foreach (var (column, expected) in columns.Zip(spec))
        {
            var op = int.Parse(column["op"]);
            Assert.Equal(expected.Hidden, (op & 16) != 0);
            Assert.Equal(expected.Additional, (op & 4) != 0);
            // Hidden columns add INDEX so osqueryd still pushes their constraints to an extension; the rest are 0 as in osquery.
            Assert.Equal(expected.Hidden ? 16 | 1 | (expected.Additional ? 4 : 0) : 0, op);
        }
    }
}
