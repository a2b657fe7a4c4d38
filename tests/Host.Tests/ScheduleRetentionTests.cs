using Microsoft.Extensions.Logging.Abstractions;
using OsqueryBpf.Host.Runtime;
using OsqueryBpf.Host.Settings;
using OsqueryBpf.Osquery.Manager;
using OsqueryBpf.Osquery.Server;
using OsqueryBpf.OsquerydDouble;
using OsqueryBpf.Probes;
using OsqueryBpf.Tables;
using Xunit;

namespace OsqueryBpf.Host.Tests;

/// <summary>
/// Retention follows osqueryd's schedule, learnt through query() from the osqueryd double (real SQL over
/// osquery_schedule, osquery_flags, osquery_registry). The store's clock is moved by hand; queries go to the
/// extension the way osqueryd sends them.
/// </summary>
public sealed class ScheduleRetentionTests
{
    [Fact]
    public async Task EventsExpiryOfOneSecondStillServesAnEventWellOverAMinuteLaterForA60SecondSchedule()
    {
        await using var run = await Running.StartAsync(manager =>
        {
            manager.Options["events_expiry"] = "1";
            manager.Schedule.Add(new("process_execs", "SELECT pid, path FROM ebpf_process_events WHERE time > 0", 60));
            manager.Schedule.Add(new("pack_files_opens", "SELECT * FROM ebpf_file_events", 10)); // another table
        });

        run.AddExec("/usr/bin/true");
        run.Clock.Advance(TimeSpan.FromSeconds(90));
        await run.Host.Store.FlushAsync();
        Assert.Equal(["/usr/bin/true"], run.Select("ebpf_process_events", "path"));

        var status = run.Probes().Single(r => r["table"] == "ebpf_process_events");
        Assert.Equal("120", status["retention_seconds"]);
        Assert.Equal("schedule: process_execs every 60 s", status["retention_reason"]);
        var files = run.Probes().Single(r => r["table"] == "ebpf_file_events");
        Assert.Equal("20", files["retention_seconds"]);

        // Twice the interval, not for ever: past 120 s the row goes.
        run.Clock.Advance(TimeSpan.FromSeconds(40));
        await run.Host.Store.FlushAsync();
        Assert.Empty(run.Select("ebpf_process_events", "path"));
    }

    [Fact]
    public async Task WithoutAScheduledQueryOnTheTableEventsExpiryRules()
    {
        await using var run = await Running.StartAsync(manager =>
        {
            manager.Options["events_expiry"] = "1";
            manager.Schedule.Add(new("uptime", "SELECT * FROM uptime", 60));
        });

        run.AddExec("/usr/bin/true");
        run.Clock.Advance(TimeSpan.FromSeconds(5));
        await run.Host.Store.FlushAsync();
        Assert.Empty(run.Select("ebpf_process_events", "path"));
        var status = run.Probes().Single(r => r["table"] == "ebpf_process_events");
        Assert.Equal(("1", "events_expiry"), (status["retention_seconds"], status["retention_reason"]));
    }

    [Fact]
    public async Task WhenQueryFailsTheFloorKeepsEventsAnHourNotOneSecond()
    {
        await using var run = await Running.StartAsync(manager =>
        {
            manager.Options["events_expiry"] = "1";
            manager.QueryFailure = "no such table: osquery_schedule";
        });

        run.AddExec("/usr/bin/true");
        run.Clock.Advance(TimeSpan.FromSeconds(3000));
        await run.Host.Store.FlushAsync();
        Assert.Equal(["/usr/bin/true"], run.Select("ebpf_process_events", "path"));
        var status = run.Probes().Single(r => r["table"] == "ebpf_process_events");
        Assert.Equal(RetentionPolicy.FloorSeconds.ToString(), status["retention_seconds"]);
        Assert.StartsWith("floor (osqueryd's schedule unknown: query() answered code 1: no such table", status["retention_reason"]);

        // Once query() works again, the next refresh follows the schedule (none here: events_expiry).
        run.Manager.QueryFailure = null;
        await run.Watcher.RefreshAsync(CancellationToken.None);
        await run.Host.Store.FlushAsync();
        Assert.Empty(run.Select("ebpf_process_events", "path"));
    }

    [Fact]
    public async Task ALongerScheduleFollowsARefreshAndTheCapBoundsIt()
    {
        await using var run = await Running.StartAsync(manager => manager.Options["events_expiry"] = "1");
        Assert.Equal("events_expiry", run.Host.Store.GetRetention("ebpf_socket_events").Reason);

        run.Manager.Schedule.Add(new("pack_net_weekly", "select count(*) from EBPF_SOCKET_EVENTS", 30 * 24 * 3600));
        await run.Watcher.RefreshAsync(CancellationToken.None);
        var retention = run.Host.Store.GetRetention("ebpf_socket_events");
        Assert.Equal(RetentionPolicy.CapSeconds, retention.Seconds);
        Assert.Equal($"cap (schedule: pack_net_weekly every {30 * 24 * 3600} s)", retention.Reason);
    }

    [Fact]
    public void TableNamesMatchOnlyAsWholeNames()
    {
        var policy = new RetentionPolicy(new Dictionary<string, IReadOnlyList<string>>
        {
            ["ebpf_process_events"] = ["ebpf_process_events", "bpf_process_events"],
            ["ebpf_socket_events"] = ["ebpf_socket_events"],
        })
        {
            EventsExpiry = 1,
            Schedule =
            [
                new("a", "SELECT * FROM ebpf_process_events_archive", 600), // another table's name
                new("b", "SELECT * FROM bpf_process_events", 30), // the drop-in view over ebpf_process_events
                new("c", "SELECT * FROM xebpf_socket_events", 900),
            ],
        };
        Assert.Equal(new TableRetention(60, "schedule: b every 30 s"), policy.Decide("ebpf_process_events"));
        Assert.Equal(new TableRetention(1, "events_expiry"), policy.Decide("ebpf_socket_events"));

        policy.SettingsMaxAge = 7200; // max_age_seconds in the settings file wins over events_expiry, and a shorter schedule
        Assert.Equal(new TableRetention(7200, "max_age_seconds"), policy.Decide("ebpf_process_events"));
        policy.NoOsqueryd = true;
        policy.SettingsMaxAge = null;
        Assert.Equal(new TableRetention(1, "events_expiry"), policy.Decide("ebpf_process_events"));
    }

    /// <summary>The extension's pieces as Program wires them, with a store on a hand-moved clock and no probes.</summary>
    private sealed class Running : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task<ExtensionExitReason> _run = Task.FromResult(ExtensionExitReason.Cancelled);

        private Running(ExtensionManagerDouble manager, ProbeHost host, ExtensionServer server, ScheduleWatcher watcher, ManualClock clock)
        {
            Manager = manager;
            Host = host;
            Server = server;
            Watcher = watcher;
            Clock = clock;
        }

        public ExtensionManagerDouble Manager { get; }
        public ProbeHost Host { get; }
        public ExtensionServer Server { get; }
        public ScheduleWatcher Watcher { get; }
        public ManualClock Clock { get; }

        public static async Task<Running> StartAsync(Action<ExtensionManagerDouble> configure)
        {
            var manager = new ExtensionManagerDouble();
            configure(manager);
            manager.Start();
            var clock = new ManualClock(DateTimeOffset.UtcNow);
            var settings = ExtensionSettings.Parse("""{"database": ":memory:", "probes": []}""", "test");
            var host = ProbeHost.Create(settings, null, readOnly: false, NullLogger.Instance, clock);
            var server = new ExtensionServer(new ExtensionServerOptions { ManagerSocketPath = manager.SocketPath, Name = "osquery-bpf-test" },
                TableCatalog.Create(host.Store, eventBased: false), NullLogger.Instance);
            var watcher = new ScheduleWatcher(new ExtensionManagerClient(manager.SocketPath, TimeSpan.FromSeconds(10)), host, NullLogger.Instance);
            var running = new Running(manager, host, server, watcher, clock);
            running._run = server.RunAsync(running._stop.Token);
            await server.Registered.WaitAsync(TimeSpan.FromSeconds(30));
            await watcher.RefreshAsync(CancellationToken.None);
            host.Store.ReplaceProbeStatus(ProbeCatalog.Tables.Select(t => new ProbeStatus { Name = t.Name, Table = t.Name, Status = "running" }));
            return running;
        }

        public void AddExec(string path)
        {
            Assert.True(Host.Store.TryAdd(new ProcessEvent
            {
                Time = Clock.GetUtcNow().ToUnixTimeSeconds(), Syscall = "execve", Path = path, Argv = [path], Pid = 4242, Tid = 4242, Uid = 1000,
            }));
            Host.Store.FlushAsync().GetAwaiter().GetResult();
        }

        /// <summary>One column of every row, read the way osqueryd reads the table.</summary>
        public List<string> Select(string table, string column)
        {
            var reply = Manager.CallerFor(Server.Uuid).Generate(table, $$"""{"constraints":[],"colsUsed":["{{column}}"]}""");
            Assert.Equal(0, reply.Status.Code);
            return reply.Rows.Select(r => r[column]).ToList();
        }

        public List<Dictionary<string, string>> Probes()
        {
            var reply = Manager.CallerFor(Server.Uuid).Generate("ebpf_probes", null);
            Assert.Equal(0, reply.Status.Code);
            return reply.Rows;
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _run;
            await Host.DisposeAsync();
            Manager.Dispose();
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
}
