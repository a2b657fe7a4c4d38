using OsqueryBpf.Events;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using OsqueryBpf.Tables.Query;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

public sealed class IngestTests
{
    [Fact]
    public async Task AFullChannelDropsAndCountsEveryRefusedEvent()
    {
        await using var store = EventStore.Open(Stores.Memory(o => { o.ChannelCapacity = 4; o.BatchSize = 2; }), ProbeCatalog.Tables);
        int accepted = 0, refused = 0;
        using (await store.PauseWriterAsync())
        {
            for (var i = 0; i < 100; i++)
            {
                if (store.TryAdd(Stores.FileEvent(Stores.Now, "/f/" + i)))
                    accepted++;
                else
                    refused++;
            }
        }
        await store.FlushAsync();

        var counters = store.GetCounters("ebpf_file_events");
        Assert.True(refused >= 100 - 4 - 2, $"only {refused} refused"); // the channel plus at most one batch in hand
        Assert.Equal(100, counters.Received);
        Assert.Equal(refused, counters.Dropped);
        Assert.Equal(accepted, counters.Written);
        Assert.Equal(accepted, (await store.QueryAsync("ebpf_file_events", [], [])).Count);
    }

    [Fact]
    public async Task EventsOfferedAfterCloseAreCountedAsDropped()
    {
        var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        await store.DisposeAsync();
        Assert.False(store.TryAdd(Stores.FileEvent(Stores.Now)));
        Assert.Equal(1, store.GetCounters("ebpf_file_events").Dropped);
    }

    [Fact]
    public async Task CloseWritesWhatIsQueued()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        await using (var store = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables))
        {
            Stores.AddAll(store, Enumerable.Range(0, 1000).Select(i => Stores.FileEvent(Stores.Now)));
        }
        await using (var reopened = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables))
            Assert.Equal(1000, reopened.GetCounters("ebpf_file_events").Rows);
    }

    [Fact]
    public async Task NullFieldsFromAProducerAreStoredAsEmpty()
    {
        var log = new LogLines();
        await using var store = EventStore.Open(Stores.Memory(o => o.Log = log.Add), ProbeCatalog.Tables);
        Stores.AddAll(store, new Event[]
        {
            new ProcessEvent { Time = Stores.Now, Path = "/bin/good" },
            new ProcessEvent { Time = Stores.Now, Path = null! }, // a producer bug: null text
            new ProcessEvent { Time = Stores.Now, Argv = null! },
        });
        await store.FlushAsync();
        var rows = await store.QueryAsync("ebpf_process_events", [], ["path", "cmdline"]);
        Assert.Equal(3, rows.Count); // null text is stored as empty; a null argv as no arguments
        Assert.Contains(rows, r => r["path"] == "/bin/good");
        Assert.Equal(0, store.GetCounters("ebpf_process_events").Dropped);
    }

    [Fact]
    public void AnEventOfAnUnknownTypeIsAClearError()
    {
        using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        var error = Assert.Throws<ArgumentException>(() => store.TryAdd(new StrangeEvent()));
        Assert.Contains("StrangeEvent", error.Message);
    }

    [Fact]
    public async Task EveryEventFieldLandsInItsColumn()
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        var now = Stores.Now;
        Stores.AddAll(store, new Event[]
        {
            new ProcessEvent
            {
                Time = now, BootTimeNs = 987654321012, Tid = 11, Pid = 10, Parent = 1, Uid = 1000, Gid = 1001, CgroupId = 5555,
                ContainerId = "abc123", Comm = "bash", ProbeError = true, Syscall = "execve", Path = "/usr/bin/env", Cwd = "/home/u",
                Argv = new[] { "env", "A=\"1\"", "tab\there", "new\nline", "back\\slash", "ctl\u0001", "ünï" },
                ExitCode = -2, Duration = 5_000_000_000, Euid = 0, Egid = 0, Auid = 4294967295, ArgvSize = 61,
            },
            new FileEvent
            {
                Time = now, Action = "chown", Syscall = "fchownat", Path = "/etc/x", Mode = "0644", OwnerUid = 0, OwnerGid = -1,
                ExitCode = 0, Inode = long.MaxValue,
            },
            new SocketEvent
            {
                Time = now, Action = "connect", Syscall = "connect", Fd = 7, Family = 10, Type = 1, Protocol = 6, LocalAddress = "::1",
                LocalPort = 40000, RemoteAddress = "::1", RemotePort = 443, ExitCode = -115, Status = "in_progress", Duration = 1234,
                Auid = 1000,
            },
            new DnsEvent
            {
                Time = now, Kind = "response", Id = 65535, Name = "example.com", Type = "AAAA", TypeId = 28, Status = 3, Answers = "",
                ResponseJson = "[]", Latency = 123456, Protocol = "udp", ServerAddress = "127.0.0.1", ServerPort = 53,
                ClientAddress = "127.0.0.1", ClientPort = 5353, Truncated = true,
            },
        });
        await store.FlushAsync();

        var process = Assert.Single(await store.QueryAsync("ebpf_process_events", [], null));
        Assert.Equal("987654321012", process["ntime"]);
        Assert.Equal("-2", process["exit_code"]);
        Assert.Equal("5000000000", process["duration"]);
        Assert.Equal("4294967295", process["auid"]);
        Assert.Equal("987", process["uptime"]); // seconds since boot: ntime in whole seconds
        Assert.Equal("61", process["cmdline_size"]);
        Assert.Equal("1", process["probe_error"]);
        Assert.Equal("5555", process["cid"]);
        Assert.Equal("abc123", process["container_id"]);
        Assert.Equal("env A=\"1\" tab\there new\nline back\\slash ctl\u0001 ünï", process["cmdline"]);
        Assert.Equal("[\"env\",\"A=\\\"1\\\"\",\"tab\\there\",\"new\\nline\",\"back\\\\slash\",\"ctl\\u0001\",\"ünï\"]", process["json_cmdline"]);
        Assert.Equal(new[] { "env", "A=\"1\"", "tab\there", "new\nline", "back\\slash", "ctl\u0001", "ünï" },
            System.Text.Json.JsonDocument.Parse(process["json_cmdline"]).RootElement.EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(now.ToString(), process["time"]);
        Assert.True(long.Parse(process["eid"]) > 0);

        var file = Assert.Single(await store.QueryAsync("ebpf_file_events", [], null));
        Assert.Equal("0644", file["mode"]);
        Assert.Equal("0", file["owner_uid"]);
        Assert.Equal("-1", file["owner_gid"]);
        Assert.Equal("9223372036854775807", file["inode"]);
        Assert.Equal("fchownat", file["syscall"]);

        var socket = Assert.Single(await store.QueryAsync("ebpf_socket_events", [], null));
        Assert.Equal("7", socket["fd"]);
        Assert.Equal("-115", socket["exit_code"]);
        Assert.Equal("10", socket["family"]);
        Assert.Equal("443", socket["remote_port"]);
        Assert.Equal("1000", socket["auid"]);
        Assert.Equal("0", socket["success"]); // in_progress (-EINPROGRESS) is audit's success=no

        var dns = Assert.Single(await store.QueryAsync("ebpf_dns_events", [], null));
        Assert.Equal("65535", dns["id"]);
        Assert.Equal("1", dns["truncated"]);
        Assert.Equal("28", dns["type_id"]);
        Assert.Equal("[]", dns["response"]);
        Assert.Equal(EventTablesColumnCount("ebpf_dns_events"), dns.Count);
    }

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(7L, "7")]
    [InlineData(-1L, "-1")]
    [InlineData(-2147483649L, "-2147483649")]
    [InlineData(long.MaxValue, "9223372036854775807")]
    [InlineData(long.MinValue + 1, "-9223372036854775807")]
    public async Task NumbersAreFormattedAsOsquerydParsesThem(long value, string expected)
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        Stores.AddAll(store, new Event[] { new FileEvent { Time = Stores.Now, Inode = value, ExitCode = value, Pid = value } });
        await store.FlushAsync();
        var row = Assert.Single(await store.QueryAsync("ebpf_file_events", [], ["inode", "exit_code", "pid"]));
        Assert.Equal(expected, row["inode"]);
        Assert.Equal(expected, row["exit_code"]);
        Assert.Equal(expected, row["pid"]);
        // What osqueryd does with it: std::stoll(value, base 0). No leading zero (octal), no '+', no spaces.
        Assert.Matches("^(0|-?[1-9][0-9]*)$", row["inode"]);
        Assert.Equal(value, long.Parse(row["inode"]));
    }

    [Fact]
    public async Task ColumnsUsedLimitsTheColumnsReturned()
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        Stores.AddAll(store, Enumerable.Range(0, 3).Select(i => Stores.FileEvent(Stores.Now, "/p/" + i)));
        await store.FlushAsync();

        var some = await store.QueryAsync("ebpf_file_events", [], ["path", "pid", "no_such_column"]);
        Assert.All(some, r => Assert.Equal(new[] { "path", "pid" }, r.Keys.Order()));

        var none = await store.QueryAsync("ebpf_file_events", [new ColumnConstraint("path", ConstraintOperator.Like, "/p/%")], []);
        Assert.Equal(3, none.Count); // count(*): one row per match, no keys
        Assert.All(none, r => Assert.Empty(r));

        var all = await store.QueryAsync("ebpf_file_events", [], null);
        Assert.All(all, r => Assert.Equal(EventTablesColumnCount("ebpf_file_events"), r.Count)); // hidden eid included
        Assert.All(all, r => Assert.Contains("eid", r.Keys));
    }

    [Fact]
    public async Task ProbeStatusIsQueriedThroughTheSamePath()
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        Stores.AddAll(store, Enumerable.Range(0, 7).Select(i => Stores.FileEvent(Stores.Now - 10 + i)));
        store.ReplaceProbeStatus(new[]
        {
            new ProbeStatus { Name = "file", Table = "ebpf_file_events", Hooks = "tp/syscalls/sys_enter_openat", Status = "running", Events = 7, RingBytes = 1 << 20, LoadedAt = 1700000000 },
            new ProbeStatus { Name = "dns", Table = "ebpf_dns_events", Status = "failed", Error = "verifier: R1 invalid mem access" },
            new ProbeStatus
            {
                Name = "process", Table = "ebpf_process_events", Status = "degraded",
                MissingHooks = "tp_btf/sched_process_exit (Linux 5.5+): this kernel has no BTF tracepoint sched_process_exit",
            },
        });
        await store.FlushAsync();

        var rows = await store.QueryAsync("ebpf_probes", [], null);
        Assert.Equal(3, rows.Count);
        var process = rows.Single(r => r["name"] == "process");
        Assert.Equal("degraded", process["status"]);
        Assert.Equal("tp_btf/sched_process_exit (Linux 5.5+): this kernel has no BTF tracepoint sched_process_exit", process["missing_hooks"]);
        Assert.Equal("", rows.Single(r => r["name"] == "dns")["missing_hooks"]);
        var file = rows.Single(r => r["name"] == "file");
        Assert.Equal("7", file["rows"]);
        Assert.Equal((Stores.Now - 10).ToString(), file["oldest_time"]);
        Assert.Equal("1048576", file["ring_bytes"]);
        var dns = rows.Single(r => r["name"] == "dns");
        Assert.Equal("0", dns["rows"]);
        Assert.Equal("", dns["oldest_time"]); // NULL: no rows
        Assert.Equal("failed", dns["status"]);
        Assert.Equal("1700000000", file["loaded_at"]);
        Assert.Equal("", dns["loaded_at"]); // never loaded: NULL

        var failed = await store.QueryAsync("ebpf_probes", [new ColumnConstraint("status", ConstraintOperator.Equals, "failed")], ["name"]);
        Assert.Equal("dns", Assert.Single(failed)["name"]);

        store.ReplaceProbeStatus(Array.Empty<ProbeStatus>());
        await store.FlushAsync();
        Assert.Empty(await store.QueryAsync("ebpf_probes", [], null));
    }

    [Fact]
    public async Task ProbeRowsFollowTheStore()
    {
        await using var store = EventStore.Open(Stores.Memory(o => o.IdleInterval = TimeSpan.FromMilliseconds(50)), ProbeCatalog.Tables);
        store.ReplaceProbeStatus(new[] { new ProbeStatus { Name = "file", Table = "ebpf_file_events", Status = "running" } });
        await store.FlushAsync();
        Assert.Equal("0", Assert.Single(await store.QueryAsync("ebpf_probes", [], ["rows"]))["rows"]);

        Stores.AddAll(store, Enumerable.Range(0, 12).Select(_ => Stores.FileEvent(Stores.Now)));
        await store.FlushAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string rows;
        do
        {
            rows = Assert.Single(await store.QueryAsync("ebpf_probes", [], ["rows"]))["rows"];
            if (rows == "12")
                break;
            await Task.Delay(20);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal("12", rows);
    }

    [Fact]
    public async Task ProbeStatusFromAPreviousRunIsNotShown()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        await using (var store = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables))
        {
            store.ReplaceProbeStatus(new[] { new ProbeStatus { Name = "old", Status = "running" } });
            await store.FlushAsync();
            Assert.Single(await store.QueryAsync("ebpf_probes", [], null));
        }
        await using (var store = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables))
            Assert.Empty(await store.QueryAsync("ebpf_probes", [], null));
    }

    [Fact]
    public async Task AnUnknownTableIsAClearError()
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.QueryAsync("processes", [], null));
        Assert.Contains("'processes'", error.Message);
    }

    [Fact]
    public async Task AResultNearTheThriftCeilingIsAnErrorNotATruncatedAnswer()
    {
        await using var store = EventStore.Open(Stores.Memory(o => o.MaxResultBytes = 64 * 1024), ProbeCatalog.Tables);
        var now = Stores.Now;
        Stores.AddAll(store, Enumerable.Range(0, 2000).Select(i => Stores.FileEvent(now - 2000 + i, "/some/rather/long/path/" + i)));
        await store.FlushAsync();

        var error = await Assert.ThrowsAsync<ResultTooLargeException>(() => store.QueryAsync("ebpf_file_events", [], null));
        Assert.Contains("time", error.Message);
        Assert.Equal("ebpf_file_events", error.Table);

        var narrowed = await store.QueryAsync("ebpf_file_events",
            [new ColumnConstraint("time", ConstraintOperator.GreaterThan, (now - 50).ToString())], null);
        Assert.Equal(49, narrowed.Count);
    }

    private static int EventTablesColumnCount(string table) => ProbeCatalog.Tables.Single(t => t.Name == table).Columns.Count;

    private sealed class StrangeEvent : Event
    {
    }
}
