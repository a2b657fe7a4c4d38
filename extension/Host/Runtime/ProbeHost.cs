using Microsoft.Extensions.Logging;
using OsqueryBpf.Host.Settings;
using OsqueryBpf.Probes;
using OsqueryBpf.Probes.Runtime;
using OsqueryBpf.Tables;

namespace OsqueryBpf.Host.Runtime;

/// <summary>
/// The event pipeline of one process: the store, and the probes that feed it. Both modes (extension and
/// standalone) build it the same way; only what serves the tables differs.
/// </summary>
internal sealed class ProbeHost : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _loader;
    private bool _disposed;

    private readonly RetentionPolicy _retention;
    private Dictionary<string, TableRetention> _appliedRetention = new(StringComparer.Ordinal);

    private ProbeHost(EventStore store, ProbeRunner runner, RetentionPolicy retention, ILogger logger)
    {
        Store = store;
        Runner = runner;
        _retention = retention;
        _logger = logger;
    }

    public EventStore Store { get; }

    public ProbeRunner Runner { get; }

    /// <summary>
    /// Opens the store (moving a corrupt database aside) and prepares the probes the settings enable. With
    /// <paramref name="readOnly"/> the store only reads a database another process writes, and no probe runs.
    /// </summary>
    /// <exception cref="StoreInUseException">Another process writes the database (unless <paramref name="readOnly"/>).</exception>
    /// <remarks>The store's clock (retention by age) is <paramref name="clock"/>, the system's unless a test moves one by hand.</remarks>
    public static ProbeHost Create(ExtensionSettings settings, string? databaseOverride, bool readOnly, ILogger logger, TimeProvider? clock = null)
    {
        var storeOptions = settings.ToStoreOptions(line => logger.LogInformation("store: {Line}", line));
        storeOptions.TimeProvider = clock ?? TimeProvider.System;
        storeOptions.LogWarning = line => logger.LogWarning("store: {Line}", line);
        storeOptions.ReadOnly = readOnly;
        if (databaseOverride is not null)
            storeOptions.DatabasePath = databaseOverride;
        if (!readOnly && !storeOptions.DatabasePath.Equals(StoreOptions.InMemory, StringComparison.Ordinal))
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(storeOptions.DatabasePath))!);
        var store = EventStore.Open(storeOptions, ProbeCatalog.Tables, settings.DropInTables ? DropInTables.All : []);
        var runner = new ProbeRunner(store, readOnly ? [] : settings.EnabledProbes(), logger);
        if (readOnly)
            logger.LogInformation("Reading the event store at {Path} read-only: no probes run here, its writer fills it.", storeOptions.DatabasePath);
        else
            logger.LogInformation("Event store at {Path}; keeping up to {Rows} rows and {Age} s per table.",
                storeOptions.DatabasePath, storeOptions.MaxRowsPerTable, storeOptions.MaxAgeSeconds);
        var retention = new RetentionPolicy(ProbeCatalog.Tables.ToDictionary(t => t.Name, t => RetentionReaders(t.Name), StringComparer.Ordinal))
        {
            SettingsMaxAge = settings.MaxAgeSeconds,
        };
        var host = new ProbeHost(store, runner, retention, logger);
        if (!readOnly)
            host.UpdateRetention(_ => { });
        return host;
    }

    /// <summary>Loads the probes on a background thread (the verifier takes seconds for the file probe).</summary>
    public void StartProbes()
    {
        lock (_stop)
        {
            if (_disposed || _loader is not null)
                return; // stopping already (a late registration callback), or started
            _loader = new Thread(() =>
            {
                try
                {
                    Runner.StartAll(_stop.Token);
                }
                catch (Exception e)
                {
                    _logger.LogError("Starting the probes failed: {Error}", e.Message);
                }
            }) { IsBackground = true, Name = "probe loader" };
            _loader.Start();
        }
    }

    /// <summary>Waits until every probe has started or failed.</summary>
    public bool WaitForProbes(TimeSpan timeout) => _loader?.Join(timeout) ?? true;

    /// <summary>The table names whose appearance in a scheduled query means it reads <paramref name="table"/>.</summary>
    private static IReadOnlyList<string> RetentionReaders(string table) =>
        [table, .. DropInTables.All.Where(d => DropInTables.Underlying(d) == table).Select(d => d.Name)];

    /// <summary>
    /// Changes what retention is decided from (osqueryd's schedule and events_expiry, the settings' max_age_seconds)
    /// and sets every event table's retention in the store; logs the tables whose retention changed.
    /// </summary>
    public void UpdateRetention(Action<RetentionPolicy> change)
    {
        lock (_retention)
        {
            change(_retention);
            var decided = _retention.Decide();
            foreach (var (table, retention) in decided)
            {
                Store.SetRetention(table, retention);
                if (!_appliedRetention.TryGetValue(table, out var before) || before != retention)
                    _logger.LogInformation("'{Table}' keeps events for {Seconds} s ({Reason}).", table, retention.Seconds, retention.Reason);
            }
            _appliedRetention = decided;
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_stop)
        {
            if (_disposed)
                return;
            _disposed = true;
        }
        _stop.Cancel();
        _loader?.Join(TimeSpan.FromSeconds(30));
        Runner.Dispose();
        await Store.DisposeAsync().ConfigureAwait(false);
    }
}
