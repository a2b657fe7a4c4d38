using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OsqueryBpf.Osquery.Server;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.OsquerydDouble;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>
/// Runs an in-process <see cref="ExtensionServer"/> against an <see cref="ExtensionManagerDouble"/> on a
/// fresh temporary socket. Dispose stops both and removes the files.
/// </summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    private ServerHarness(ExtensionManagerDouble manager, ExtensionServer server, IReadOnlyList<ITablePlugin> tables)
    {
        Manager = manager;
        Server = server;
        Tables = tables;
    }

    public ExtensionManagerDouble Manager { get; }
    public ExtensionServer Server { get; }
    public IReadOnlyList<ITablePlugin> Tables { get; }
    public Task<ExtensionExitReason> Run { get; private set; } = Task.FromResult(ExtensionExitReason.Cancelled);

    public SyntheticTable Synthetic => (SyntheticTable)Tables[0];

    /// <summary>The caller for the currently registered uuid.</summary>
    public ExtensionCaller Caller => Manager.CallerFor(Server.Uuid);

    public static ServerHarness Create(
        IReadOnlyList<ITablePlugin>? tables = null, Action<ExtensionManagerDouble>? configureManager = null,
        TimeSpan? interval = null, TimeSpan? timeout = null, TimeSpan? readTimeout = null, bool startManager = true, int? maxReplyBytes = null,
        int? maxRequestBytes = null, long? maxBufferedRequestBytes = null, int? maxConnections = null)
    {
        var manager = new ExtensionManagerDouble();
        configureManager?.Invoke(manager);
        if (startManager)
            manager.Start();
        tables ??= [new SyntheticTable()];
        var server = new ExtensionServer(new ExtensionServerOptions
        {
            ManagerSocketPath = manager.SocketPath,
            Interval = interval ?? TimeSpan.FromMilliseconds(300),
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
            RequestTimeout = readTimeout ?? TimeSpan.FromSeconds(30),
            Name = "osquery-bpf-test",
            Version = "1.2.3",
            MaxReplyBytes = maxReplyBytes ?? 64 * 1024 * 1024,
            MaxRequestBytes = maxRequestBytes ?? 16 * 1024 * 1024,
            MaxBufferedRequestBytes = maxBufferedRequestBytes ?? 32L * 1024 * 1024,
            MaxConnections = maxConnections ?? 256,
        }, tables, TestLogger);
        return new ServerHarness(manager, server, tables);
    }

    public static ILogger TestLogger { get; } = NullLogger.Instance;

    /// <summary>Starts RunAsync in the background.</summary>
    public ServerHarness Start()
    {
        Run = Task.Run(() => Server.RunAsync(_stop.Token));
        return this;
    }

    /// <summary>Starts and waits for the first registration.</summary>
    public static async Task<ServerHarness> StartRegisteredAsync(
        IReadOnlyList<ITablePlugin>? tables = null, Action<ExtensionManagerDouble>? configureManager = null,
        TimeSpan? interval = null, TimeSpan? readTimeout = null)
    {
        var harness = Create(tables, configureManager, interval, readTimeout: readTimeout).Start();
        var done = await Task.WhenAny(harness.Server.Registered, harness.Run, Task.Delay(TimeSpan.FromSeconds(60)));
        if (!harness.Server.Registered.IsCompletedSuccessfully)
            throw new InvalidOperationException($"The server did not register: {(harness.Run.IsCompleted ? harness.Run.Result.ToString() : "timeout")}.");
        return harness;
    }

    /// <summary>Waits for RunAsync to finish on its own.</summary>
    public async Task<ExtensionExitReason> WaitForExitAsync(TimeSpan? timeout = null)
    {
        var finished = await Task.WhenAny(Run, Task.Delay(timeout ?? TimeSpan.FromSeconds(60)));
        if (finished != Run)
            throw new TimeoutException("The extension server did not stop.");
        return await Run;
    }

    /// <summary>Polls <paramref name="condition"/> until true or 60 s pass.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
                return true;
            await Task.Delay(20);
        }
        return condition();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Run.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
        }
        Manager.Dispose();
        _stop.Dispose();
    }
}
