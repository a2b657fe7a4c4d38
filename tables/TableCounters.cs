namespace OsqueryBpf.Tables;

/// <summary>A snapshot of one event table's counters.</summary>
/// <param name="Table">The table name.</param>
/// <param name="Received">Events offered to the store (accepted or dropped).</param>
/// <param name="Written">Rows committed to SQLite.</param>
/// <param name="Dropped">Events lost: the channel was full, the store was closed, or their batch failed to write
/// (the log says which).</param>
/// <param name="Rows">Rows buffered now.</param>
/// <param name="OldestTime">UNIX seconds of the oldest buffered row, or null when the table is empty.</param>
/// <param name="LeftOut">Rows left out of replies that could not hold every matching row (the busiest processes'
/// rows; they stay buffered and later, narrower queries still see them).</param>
/// <param name="Refused">Of <paramref name="Dropped"/>: events the ingest budget refused because their process or user
/// was over its share while the writer fell behind.</param>
public sealed record TableCounters(string Table, long Received, long Written, long Dropped, long Rows, long? OldestTime,
    long LeftOut = 0, long Refused = 0);
