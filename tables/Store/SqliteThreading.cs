using SQLitePCL;

namespace OsqueryBpf.Tables.Store;

/// <summary>
/// Puts SQLite in multi-thread mode (SQLITE_CONFIG_MULTITHREAD) before the first connection opens.
/// </summary>
/// <remarks>
/// The bundled SQLite is built "serialized": every call, down to each sqlite3_bind_*, takes the connection's mutex.
/// The store never uses one connection from two threads at once (the writer connection is behind a gate, a query
/// connection belongs to one query at a time), which is exactly what multi-thread mode requires, and dropping those
/// mutexes made ingest about 20% faster on our machines. The setting is process-wide and only possible before SQLite
/// initialises; if something opened a connection earlier, the call fails and SQLite simply stays serialized.
/// </remarks>
internal static class SqliteThreading
{
    private static readonly Lazy<bool> Configured = new(() =>
    {
        Batteries_V2.Init();
        return raw.sqlite3_config(raw.SQLITE_CONFIG_MULTITHREAD) == raw.SQLITE_OK;
    });

    /// <summary>True when multi-thread mode is on (false when SQLite was already initialised).</summary>
    public static bool EnsureMultiThread() => Configured.Value;
}
