namespace OsqueryBpf.Tables.Query;

/// <summary>
/// Thrown instead of returning a truncated answer when a result would approach osqueryd's Thrift message ceiling.
/// </summary>
public sealed class ResultTooLargeException : Exception
{
    internal ResultTooLargeException(string table, long limitBytes, int rowsSoFar)
        : base($"The result from '{table}' is larger than {limitBytes / (1024.0 * 1024):0.##} MiB (stopped after {rowsSoFar} rows), " +
               "which is close to the largest reply osqueryd accepts. Narrow the query, for example with a 'time' constraint " +
               "such as WHERE time > (SELECT unix_time FROM time) - 300.")
    {
        Table = table;
        LimitBytes = limitBytes;
        RowsSoFar = rowsSoFar;
    }

    /// <summary>The table queried.</summary>
    public string Table { get; }

    /// <summary>The configured ceiling in bytes.</summary>
    public long LimitBytes { get; }

    /// <summary>Rows formatted before the ceiling was reached.</summary>
    public int RowsSoFar { get; }
}
