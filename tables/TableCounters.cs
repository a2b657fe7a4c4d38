namespace OsqueryBpf.Tables;

/// <summary>A snapshot of one event table's counters.</summary>
/// <param name="Table">The table name.</param>
/// <param name="Received">Events offered to the store (accepted or dropped).</param>
/// <param name="Written">Rows committed to SQLite.</param>
/// <param name="Dropped">Events lost: the channel was full, the store was closed, or their batch failed to write
/// (the log says which).</param>
/// <param name="Rows">Rows buffered now.</param>
/// <param name="OldestTime">UNIX seconds of the oldest buffered row, or null when the table is empty.</param>
public sealed record TableCounters(string Table, long Received, long Written, long Dropped, long Rows, long? OldestTime);
