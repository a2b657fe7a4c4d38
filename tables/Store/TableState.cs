using Microsoft.Data.Sqlite;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Tables.Store;

/// <summary>
/// The live state of one event table. Counters are touched by producers (Interlocked); everything else belongs to
/// the writer task, except <see cref="Rows"/> and <see cref="OldestTime"/>, which readers read through Volatile.
/// </summary>
internal sealed class TableState
{
    private const long NoTime = long.MinValue;

    private long _received;
    private long _written;
    private long _dropped;
    private long _leftOut;
    private long _refused;
    private long _rows;
    private long _oldestTime = NoTime;

    public TableState(TableDefinition definition, int index)
    {
        Definition = definition;
        Index = index;
        var columns = definition.Columns;
        IntegerOf = columns.Select(c => c.IntegerOf).ToArray();
        TextOf = columns.Select(c => c.TextOf).ToArray();
        Nullable = columns.Select(c => c.Nullable).ToArray();
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].Name == "eid")
                EidOrdinal = i;
        }
    }

    // The column accessors as plain arrays: the insert loop runs them hundreds of thousands of times a second.
    public Func<object, long>?[] IntegerOf { get; }

    public Func<object, string>?[] TextOf { get; }

    public bool[] Nullable { get; }

    public TableDefinition Definition { get; }

    /// <summary>Its place among the store's event tables.</summary>
    public int Index { get; }

    /// <summary>Position of eid among the columns (and the insert's parameters).</summary>
    public int EidOrdinal { get; } = -1;

    /// <summary>The next eid to hand out (writer only).</summary>
    public long NextEid { get; set; }

    /// <summary>The prepared INSERT, one parameter per column in column order (writer only).</summary>
    public NativeStatement? Insert { get; set; }

    /// <summary>Deletes the @n rows with the lowest eids (retention by count).</summary>
    public SqliteCommand? DeleteOldest { get; set; }

    /// <summary>Deletes the @n rows with the lowest eids of user @uid (retention by count under a flood); null when the
    /// table has no uid column.</summary>
    public SqliteCommand? DeleteOldestOfUser { get; set; }

    /// <summary>The uid holding the most of the @window oldest rows; null when the table has no uid column.</summary>
    public SqliteCommand? SelectHeaviestOldUser { get; set; }

    /// <summary>The user whose oldest rows retention by count deletes first, and when it was chosen (writer only).</summary>
    public (long? Uid, long ChosenAt) EvictionUser { get; set; } = (null, long.MinValue);

    /// <summary>Deletes up to @n rows with time &lt; @cutoff (retention by age).</summary>
    public SqliteCommand? DeleteExpired { get; set; }

    /// <summary>SELECT min(time), through the time index.</summary>
    public SqliteCommand? SelectOldestTime { get; set; }

    public long Received => Interlocked.Read(ref _received);

    public long Written => Interlocked.Read(ref _written);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Rows
    {
        get => Volatile.Read(ref _rows);
        set => Volatile.Write(ref _rows, value);
    }

    public long? OldestTime
    {
        get
        {
            var value = Volatile.Read(ref _oldestTime);
            return value == NoTime ? null : value;
        }
        set => Volatile.Write(ref _oldestTime, value ?? NoTime);
    }

    /// <summary>
    /// The age beyond which this table's rows are deleted and why, when set for this table (the host's
    /// schedule-aware retention); null means <see cref="StoreOptions.MaxAgeSeconds"/>. Set by any thread, read by the
    /// writer and by ebpf_probes.
    /// </summary>
    public TableRetention? Retention
    {
        get => Volatile.Read(ref _retention);
        set => Volatile.Write(ref _retention, value);
    }

    private TableRetention? _retention;

    public void CountReceived() => Interlocked.Increment(ref _received);

    public void CountDropped(long count = 1) => Interlocked.Add(ref _dropped, count);

    public void CountWritten(long count) => Interlocked.Add(ref _written, count);

    /// <summary>Under pressure, refuses the events of processes and users over their share (see <see cref="IngestBudget"/>).</summary>
    public IngestBudget? Budget { get; set; }

    /// <summary>Environment.TickCount64 of the last warning about refused events (rate limit).</summary>
    public long LastRefusalWarning;

    /// <summary>Counts an event refused by the ingest budget (also counted as dropped).</summary>
    public void CountRefused() => Interlocked.Increment(ref _refused);

    /// <summary>Counts rows a reply left out because they did not fit.</summary>
    public void CountLeftOut(long count) => Interlocked.Add(ref _leftOut, count);

    /// <summary>Environment.TickCount64 of the last warning about rows left out (rate limit).</summary>
    public long LastLeftOutWarning;

    public TableCounters Snapshot() =>
        new(Definition.Name, Received, Written, Dropped, Rows, OldestTime, Interlocked.Read(ref _leftOut), Interlocked.Read(ref _refused));
}
