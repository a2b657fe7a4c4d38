using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using OsqueryBpf.Events;
using OsqueryBpf.Tables.Schema;
using OsqueryBpf.Tables.Store;

namespace OsqueryBpf.Tables;

/// <summary>
/// The bounded SQLite ring tables behind the event tables. Producers call <see cref="TryAdd"/> from any thread; a
/// single writer task batches events into transactions and applies retention between batches; queries read through
/// separate read-only connections (on disk) or take turns with the writer (in memory).
/// </summary>
public sealed partial class EventStore : IAsyncDisposable, IDisposable
{
    private readonly StoreOptions _options;
    private readonly Action<string> _log;
    private readonly Action<string> _warn;
    private readonly FileStream? _writerLock; // the exclusive lock beside an on-disk database (null in memory and read-only)
    private readonly Channel<Event> _events;
    private readonly TableState[] _tables; // the event tables, in the order given to Open
    private readonly Dictionary<Type, TableState> _tablesByEventType; // events find their table by their type
    private readonly TableDefinition[] _allTables; // the event tables and ebpf_probes
    private readonly Dictionary<string, TableState> _tablesByName;
    private readonly SemaphoreSlim _connectionGate = new(1, 1); // the writer connection: writer task, and in-memory queries
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentQueue<FlushRequest> _flushRequests = new();
    private readonly string _readerConnectionString;
    private SqliteConnection _connection;
    private ProbeStatus[]? _pendingProbeStatus; // for the writer, which keeps a copy in the database (standalone SQL)
    private ProbeStatus[] _latestProbeStatus = []; // what ebpf_probes answers, from memory
    private readonly int _pressureMark; // events waiting from which the ingest budget applies
    private long _accepted; // events that entered the channel
    private long _processed; // events taken from the channel and written or counted as dropped
    private int _disposed;
    private readonly Task _writer;

    private EventStore(StoreOptions options, IReadOnlyList<TableDefinition> eventTables, IReadOnlyList<TableDefinition> views)
    {
        options.Validate();
        _options = options;
        _log = options.Log ?? (_ => { });
        _warn = options.LogWarning ?? _log;
        _tables = eventTables.Select((t, i) => new TableState(t, i)
        {
            Budget = new IngestBudget(options.MaxEventsPerProcess, options.MaxEventsPerUser),
        }).ToArray();
        _tablesByEventType = ByEventType(_tables);
        if (views.FirstOrDefault(v => v.ViewSql is null) is { } notView)
            throw new ArgumentException($"'{notView.Name}' is not a view.", nameof(views));
        _allTables = [.. eventTables, StatusTables.Probes, .. views];
        _pressureMark = Math.Max(1, options.ChannelCapacity / 2);
        _tablesByName = _tables.ToDictionary(t => t.Definition.Name, StringComparer.Ordinal);
        _readerConnectionString = DatabaseFile.ReaderConnectionString(options.DatabasePath);
        _events = Channel.CreateBounded<Event>(new BoundedChannelOptions(options.ChannelCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: we count the drop ourselves
        });
        if (options.ReadOnly)
        {
            _connection = DatabaseFile.OpenReadOnly(options.DatabasePath);
            _events.Writer.TryComplete(); // nothing is ever written: offered events are counted as dropped
            _writer = Task.CompletedTask;
            return;
        }
        // One writer per database: two would hand out the same eids and store events twice.
        if (!IsInMemory)
        {
            DatabaseFile.CreateFolder(options.DatabasePath, _warn);
            _writerLock = DatabaseLock.Acquire(options.DatabasePath, _warn);
        }
        try
        {
            _connection = DatabaseFile.OpenWriter(options.DatabasePath, _log, options.TimeProvider, _warn);
            try
            {
                PrepareDatabase();
            }
            catch
            {
                _connection.Dispose();
                throw;
            }
        }
        catch
        {
            _writerLock?.Dispose();
            throw;
        }
        _writer = Task.Run(WriterLoopAsync);
    }

    /// <summary>
    /// Opens (or creates) the store and starts its writer. A damaged database file is moved aside and replaced by a
    /// new one (logged); a folder that cannot be created or a file that cannot be opened throws an IOException.
    /// </summary>
    /// <param name="options">Where and how much to keep.</param>
    /// <param name="eventTables">The event tables (the probes' tables); each event type has exactly one.</param>
    /// <param name="views">Read-only views over the event tables (<see cref="TableDefinition.View"/>), served as tables too.</param>
    public static EventStore Open(StoreOptions options, IReadOnlyList<TableDefinition> eventTables, IReadOnlyList<TableDefinition>? views = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(eventTables);
        return new EventStore(options, eventTables, views ?? []);
    }

    /// <summary>Every table the store serves: the event tables, ebpf_probes, then the views.</summary>
    public IReadOnlyList<TableDefinition> Tables => _allTables;

    /// <summary>The table with this exact name, or null.</summary>
    public TableDefinition? FindTable(string name) => _allTables.FirstOrDefault(t => t.Name == name);

    private static Dictionary<Type, TableState> ByEventType(TableState[] tables)
    {
        var byType = new Dictionary<Type, TableState>();
        foreach (var table in tables)
        {
            var definition = table.Definition;
            if (!definition.IsEvented || definition.EventType is null)
                throw new ArgumentException($"'{definition.Name}' is not an event table: it has no event type.", nameof(tables));
            if (!byType.TryAdd(definition.EventType, table))
                throw new ArgumentException($"Events of type '{definition.EventType.Name}' would go to two tables: '{byType[definition.EventType].Definition.Name}' and '{definition.Name}'.", nameof(tables));
        }
        return byType;
    }

    /// <summary>The options the store was opened with.</summary>
    public StoreOptions Options => _options;

    /// <summary>True when the store is <c>:memory:</c>.</summary>
    public bool IsInMemory => _options.IsInMemory;

    /// <summary>True when the store only reads a database another process writes (<see cref="StoreOptions.ReadOnly"/>).</summary>
    public bool IsReadOnly => _options.ReadOnly;

    /// <summary>
    /// Offers one event. Returns false, and counts the event as dropped for its table, when the channel is full or
    /// the store is closed, or when the writer is falling behind and the event's process or user is over its share
    /// (<see cref="StoreOptions.MaxEventsPerProcess"/>); never blocks.
    /// </summary>
    public bool TryAdd(Event e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var table = TableFor(e);
        table.CountReceived();
        if (_events.Reader.Count >= _pressureMark && table.Budget!.Refuse(e))
        {
            table.CountDropped();
            table.CountRefused();
            WarnAboutRefusals(table);
            return false;
        }
        if (_events.Writer.TryWrite(e))
        {
            Interlocked.Increment(ref _accepted);
            return true;
        }
        table.CountDropped();
        return false;
    }

    /// <summary>At most once a minute per table: whose events the ingest budget refused, and how many.</summary>
    private void WarnAboutRefusals(TableState table)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref table.LastRefusalWarning);
        if (last == 0)
        {
            // The first line comes five seconds after the first refusal, so that it can say whose events they were.
            Interlocked.CompareExchange(ref table.LastRefusalWarning, now - 55_000, 0);
            return;
        }
        if (now - last < 60_000 || Interlocked.CompareExchange(ref table.LastRefusalWarning, now, last) != last)
            return;
        var refusals = table.Budget!.TakeRefusals();
        _warn($"'{table.Definition.Name}' receives more events than the store writes; the processes over their share " +
              $"({_options.MaxEventsPerProcess} events a second each, {_options.MaxEventsPerUser} per user) lose theirs first. " +
              $"Refused since the last such line: {string.Join(", ", refusals.Take(5).Select(r => $"pid {r.Pid} ({r.Comm}, uid {r.Uid}): {r.Count}"))}" +
              $"{(refusals.Count > 5 ? $" and {refusals.Count - 5} more processes" : "")}. Counted in ebpf_probes.drops ({table.Snapshot().Refused} so far).");
    }

    /// <summary>
    /// Completes when every event accepted before the call is written (or counted as dropped), retention has caught up,
    /// and the latest probe status is in ebpf_probes. For tests and for orderly shutdown.
    /// </summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (IsReadOnly)
            return Task.CompletedTask;
        var request = new FlushRequest(Interlocked.Read(ref _accepted));
        _flushRequests.Enqueue(request);
        _wake.Release();
        return request.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>The counters of one event table.</summary>
    public TableCounters GetCounters(string table) =>
        _tablesByName.TryGetValue(table, out var state)
            ? state.Snapshot()
            : throw new ArgumentException($"'{table}' is not an event table of this store.", nameof(table));

    /// <summary>The counters of every event table.</summary>
    public IReadOnlyList<TableCounters> GetCounters() => _tables.Select(t => t.Snapshot()).ToArray();

    /// <summary>
    /// Sets how long one event table keeps its rows, and why (shown in ebpf_probes.retention_seconds and
    /// retention_reason). Takes effect at the writer's next retention step; null goes back to
    /// <see cref="StoreOptions.MaxAgeSeconds"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The table is not an event table of this store.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The age is below one second.</exception>
    public void SetRetention(string table, TableRetention? retention)
    {
        var state = StateOf(table);
        if (retention is not null)
            ArgumentOutOfRangeException.ThrowIfLessThan(retention.Seconds, 1, nameof(retention));
        state.Retention = retention;
        _wake.Release();
    }

    /// <summary>How long the table keeps its rows now, and why.</summary>
    /// <exception cref="ArgumentException">The table is not an event table of this store.</exception>
    public TableRetention GetRetention(string table) => RetentionOf(StateOf(table));

    private TableRetention RetentionOf(TableState state) =>
        state.Retention ?? new TableRetention(_options.MaxAgeSeconds, "max_age_seconds");

    private ProbeStatusRow StatusRow(ProbeStatus status, TableState? state)
    {
        var retention = state is null ? null : RetentionOf(state);
        return new ProbeStatusRow(status, state?.Rows ?? 0, state?.OldestTime, retention?.Seconds ?? ColumnListBuilder<object>.Null, retention?.Reason ?? "");
    }

    /// <summary>
    /// Replaces the rows of ebpf_probes. Queries answer them from memory at once, with <c>rows</c> and
    /// <c>oldest_time</c> filled in live from the store's counters, so the drops stay visible while the database
    /// cannot be written (a full disk). The writer also keeps a copy in the database, for standalone SQL and for
    /// read-only views from other processes; <see cref="FlushAsync"/> waits for that write.
    /// </summary>
    public void ReplaceProbeStatus(IEnumerable<ProbeStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        var copy = statuses.Select(s => new ProbeStatus
        {
            Name = s.Name ?? "", Table = s.Table ?? "", Hooks = s.Hooks ?? "", Status = s.Status ?? "", Error = s.Error ?? "",
            MissingHooks = s.MissingHooks ?? "",
            Events = s.Events, Drops = s.Drops, RingBytes = s.RingBytes, LoadedAt = s.LoadedAt,
        }).ToArray();
        Volatile.Write(ref _latestProbeStatus, copy);
        Volatile.Write(ref _pendingProbeStatus, copy);
        _wake.Release();
    }

    /// <summary>Stops accepting events, writes what is queued, and closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _events.Writer.TryComplete();
        _wake.Release();
        try
        {
            await _writer.ConfigureAwait(false);
        }
        finally
        {
            await _connectionGate.WaitAsync().ConfigureAwait(false);
            try
            {
                CloseWriterConnection();
            }
            finally
            {
                _connectionGate.Release();
            }
            if (!IsInMemory)
                SqliteConnection.ClearPool(new SqliteConnection(_readerConnectionString));
            _writerLock?.Dispose(); // only now may another writer open the database
        }
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private TableState TableFor(Event e) =>
        _tablesByEventType.TryGetValue(e.GetType(), out var table)
            ? table
            : throw new ArgumentException($"The store has no table for events of type '{e.GetType().Name}'.", nameof(e));

    private TableState StateOf(string table) =>
        _tablesByName.TryGetValue(table, out var state)
            ? state
            : throw new ArgumentException($"'{table}' is not an event table of this store.", nameof(table));

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private sealed class FlushRequest(long target)
    {
        public long Target { get; } = target;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
