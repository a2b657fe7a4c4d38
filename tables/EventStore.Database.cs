using System.Globalization;
using Microsoft.Data.Sqlite;
using OsqueryBpf.Tables.Schema;
using OsqueryBpf.Tables.Store;

namespace OsqueryBpf.Tables;

public sealed partial class EventStore
{
    private SqliteCommand? _saveNextEid;
    private SqliteCommand? _deleteProbeRows;
    private SqliteCommand? _insertProbeRow;
    private SqliteParameter[] _probeParameters = Array.Empty<SqliteParameter>();

    /// <summary>
    /// Creates missing tables, recreates tables whose schema changed between versions (their rows are dropped, their
    /// eid high-water mark kept), loads each table's next eid, row count and oldest time, and prepares the commands.
    /// Runs on the writer connection with no other user.
    /// </summary>
    private void PrepareDatabase()
    {
        DatabaseFile.Execute(_connection, StoreSchema.EidTableDdl);
        foreach (var table in _allTables)
            EnsureTable(table);
        // Statuses left by a previous process describe probes that are gone; the host supplies fresh ones.
        DatabaseFile.Execute(_connection, $"DELETE FROM {StatusTables.Probes.QuotedName}");

        var seed = _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds() << 20;
        foreach (var state in _tables)
        {
            var name = state.Definition.QuotedName;
            var saved = Scalar($"SELECT next_eid FROM {StoreSchema.EidTable} WHERE table_name = @t", ("@t", state.Definition.Name));
            var max = Scalar($"SELECT max(eid) FROM {name}");
            // A table with no history at all starts at (UNIX seconds << 20): eids then keep increasing even when the
            // database had to be replaced (damage, or :memory: across restarts), unless more than ~1M events per
            // second were stored. A known history always wins.
            state.NextEid = Math.Max(Math.Max(saved ?? 0, (max ?? 0) + 1), saved is null && max is null ? seed : 1);
            state.NextEid = Math.Max(state.NextEid, _recoveredNextEid.GetValueOrDefault(state.Definition.Name));
            state.Rows = Scalar($"SELECT count(*) FROM {name}") ?? 0;
            state.OldestTime = Scalar($"SELECT min(\"time\") FROM {name}");
            PrepareTableCommands(state);
        }

        _saveNextEid = Prepare(
            $"INSERT INTO {StoreSchema.EidTable} (table_name, next_eid) VALUES (@t, @n) " +
            "ON CONFLICT (table_name) DO UPDATE SET next_eid = excluded.next_eid",
            ("@t", SqliteType.Text), ("@n", SqliteType.Integer));
        _deleteProbeRows = Prepare($"DELETE FROM {StatusTables.Probes.QuotedName}");
        _insertProbeRow = Prepare(StoreSchema.Insert(StatusTables.Probes),
            StatusTables.Probes.Columns.Select((c, i) => ("@p" + i.ToString(CultureInfo.InvariantCulture), Affinity(c))).ToArray());
        _probeParameters = _insertProbeRow.Parameters.Cast<SqliteParameter>().ToArray();
    }

    private void EnsureTable(TableDefinition table)
    {
        if (table.ViewSql is not null)
        {
            // A view holds no rows: made afresh at every start, so it always matches this version's tables.
            DatabaseFile.Execute(_connection, $"DROP VIEW IF EXISTS {table.QuotedName}");
            DatabaseFile.Execute(_connection, StoreSchema.CreateView(table));
            return;
        }
        var expected = StoreSchema.CreateTable(table);
        string? existing;
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = @n";
            command.Parameters.AddWithValue("@n", table.Name);
            existing = command.ExecuteScalar() as string;
        }
        if (existing is not null && existing != expected)
        {
            var rows = Scalar($"SELECT count(*) FROM {table.QuotedName}") ?? 0;
            _log($"The stored schema of '{table.Name}' differs from this version's; dropping it and its {rows} buffered rows (eids keep increasing).");
            DatabaseFile.Execute(_connection, $"DROP TABLE {table.QuotedName}");
            existing = null;
        }
        if (existing is null)
            DatabaseFile.Execute(_connection, expected);
        if (StoreSchema.CreateTimeIndex(table) is { } index)
            DatabaseFile.Execute(_connection, index);
    }

    private void PrepareTableCommands(TableState state)
    {
        var table = state.Definition;
        state.Insert = new NativeStatement(_connection, StoreSchema.Insert(table));
        state.DeleteOldest = Prepare(
            $"DELETE FROM {table.QuotedName} WHERE eid IN (SELECT eid FROM {table.QuotedName} ORDER BY eid LIMIT @n)",
            ("@n", SqliteType.Integer));
        if (table.Columns.Any(c => c.Name == "uid"))
        {
            state.DeleteOldestOfUser = Prepare(
                $"DELETE FROM {table.QuotedName} WHERE eid IN (SELECT eid FROM {table.QuotedName} WHERE uid = @uid ORDER BY eid LIMIT @n)",
                ("@uid", SqliteType.Integer), ("@n", SqliteType.Integer));
            state.SelectHeaviestOldUser = Prepare(
                $"SELECT uid FROM (SELECT uid FROM {table.QuotedName} ORDER BY eid LIMIT @window) GROUP BY uid ORDER BY count(*) DESC LIMIT 1",
                ("@window", SqliteType.Integer));
        }
        state.DeleteExpired = Prepare(
            $"DELETE FROM {table.QuotedName} WHERE eid IN (SELECT eid FROM {table.QuotedName} WHERE \"time\" < @cutoff LIMIT @n)",
            ("@cutoff", SqliteType.Integer), ("@n", SqliteType.Integer));
        state.SelectOldestTime = Prepare($"SELECT min(\"time\") FROM {table.QuotedName}");
    }

    private static SqliteType Affinity(TableColumn column) =>
        column.Storage == StorageKind.Integer ? SqliteType.Integer : SqliteType.Text;

    private SqliteCommand Prepare(string sql, params (string Name, SqliteType Type)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, type) in parameters)
            command.Parameters.Add(name, type);
        command.Prepare();
        return command;
    }

    private long? Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        var result = command.ExecuteScalar();
        return result is null or DBNull ? null : Convert.ToInt64(result, CultureInfo.InvariantCulture);
    }

    private void CloseWriterConnection()
    {
        foreach (var state in _tables)
        {
            state.Insert?.Dispose();
            state.DeleteOldest?.Dispose();
            state.DeleteOldestOfUser?.Dispose();
            state.SelectHeaviestOldUser?.Dispose();
            state.DeleteExpired?.Dispose();
            state.SelectOldestTime?.Dispose();
            state.Insert = null;
            state.DeleteOldest = state.DeleteOldestOfUser = state.SelectHeaviestOldUser = null;
            state.DeleteExpired = state.SelectOldestTime = null;
            state.EvictionUser = (null, long.MinValue);
        }
        _saveNextEid?.Dispose();
        _deleteProbeRows?.Dispose();
        _insertProbeRow?.Dispose();
        _saveNextEid = _deleteProbeRows = _insertProbeRow = null;
        _connection.Dispose();
    }

    // Next eids carried over a replacement of a damaged database, so they keep increasing.
    private Dictionary<string, long> _recoveredNextEid = new(StringComparer.Ordinal);

    /// <summary>
    /// The database turned out damaged while running (or could not be reopened): move it aside when damaged, start a
    /// fresh one, keep handing out increasing eids. Called by the writer task with the connection gate held.
    /// </summary>
    private void RecoverFromDamage(string cause, bool moveAside)
    {
        foreach (var state in _tables)
            _recoveredNextEid[state.Definition.Name] = Math.Max(state.NextEid, _recoveredNextEid.GetValueOrDefault(state.Definition.Name));
        CloseWriterConnection();
        if (IsInMemory)
            _warn($"The in-memory event store failed ({cause}); starting a new, empty one.");
        else if (moveAside && File.Exists(_options.DatabasePath))
            DatabaseFile.MoveAside(_options.DatabasePath, cause, _warn, _options.TimeProvider);
        _connection = DatabaseFile.OpenWriter(_options.DatabasePath, _log, _options.TimeProvider, _warn);
        PrepareDatabase();
        _probeRowsWritten = false;
    }
}
