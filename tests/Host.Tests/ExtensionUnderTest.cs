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

/// <summary>The extension's pieces as Program wires them, with a store on a hand-moved clock and no probes.</summary>
internal sealed class ExtensionUnderTest : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task<ExtensionExitReason> _run = Task.FromResult(ExtensionExitReason.Cancelled);

    private ExtensionUnderTest(ExtensionManagerDouble manager, ProbeHost host, ExtensionServer server, ScheduleWatcher watcher, ManualClock clock)
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

    public static async Task<ExtensionUnderTest> StartAsync(Action<ExtensionManagerDouble> configure, string settingsJson = """{"database": ":memory:", "probes": []}""")
    {
        var manager = new ExtensionManagerDouble();
        configure(manager);
        manager.Start();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var settings = ExtensionSettings.Parse(settingsJson, "test");
        var host = ProbeHost.Create(settings, null, readOnly: false, NullLogger.Instance, clock);
        var server = new ExtensionServer(new ExtensionServerOptions
            {
                ManagerSocketPath = manager.SocketPath, Name = "osquery-bpf-test", TablesOfferedIfAbsent = TableCatalog.OfferedIfAbsent(settings.DropInTables),
            },
            TableCatalog.Create(host.Store, eventBased: false, host.Runner.Containers), NullLogger.Instance);
        var watcher = new ScheduleWatcher(new ExtensionManagerClient(manager.SocketPath, TimeSpan.FromSeconds(10)), host, NullLogger.Instance);
        var running = new ExtensionUnderTest(manager, host, server, watcher, clock);
        running._run = server.RunAsync(running._stop.Token);
        await server.Registered.WaitAsync(TimeSpan.FromSeconds(30));
        await watcher.RefreshAsync(CancellationToken.None);
        // No probe runs here, so the runner's status timer would publish an empty ebpf_probes every second and replace
        // the rows these tests read: stop it, and set the rows again before each read (Probes).
        host.Runner.Dispose();
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
        Host.Store.ReplaceProbeStatus(ProbeCatalog.Tables.Select(t => new ProbeStatus { Name = t.Name, Table = t.Name, Status = "running" }));
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

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
}
