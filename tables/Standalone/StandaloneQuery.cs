using System.Globalization;
using Microsoft.Data.Sqlite;

namespace OsqueryBpf.Tables.Standalone;

/// <summary>
/// Runs a user's own read-only SQL over the store's tables, without osqueryd (the host's <c>--query</c> option and
/// interactive prompt). Reading is all it can do: the connection is read-only where the store is on disk, and an
/// SQLite authorizer refuses every write, schema change, ATTACH and most pragmas in both modes.
/// </summary>
public sealed class StandaloneQuery : IDisposable
{
    private const int SqliteAuth = 23;
    private const int SqliteReadOnly = 8;

    private readonly EventStore? _store; // :memory: stores are only reachable through their own connection
    private readonly SqliteConnection? _connection;
    private readonly SemaphoreSlim _gate = new(1, 1); // SQLite runs in multi-thread mode: one statement at a time per connection

    private StandaloneQuery(EventStore? store, SqliteConnection? connection)
    {
        _store = store;
        _connection = connection;
    }

    /// <summary>Opens an on-disk store read-only, also while another process (the extension) is writing to it.</summary>
    public static StandaloneQuery OpenFile(string databasePath)
    {
        Store.SqliteThreading.EnsureMultiThread();
        if (!File.Exists(databasePath))
            throw new StandaloneQueryException($"There is no event store at '{databasePath}'.");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            ReadOnlyAuthorizer.Install(connection);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new StandaloneQueryException($"The event store at '{databasePath}' cannot be opened: {e.Message}", e);
        }
        return new StandaloneQuery(null, connection);
    }

    /// <summary>A standalone query over a store open in this process (on disk or in memory).</summary>
    internal static StandaloneQuery ForStore(EventStore store) =>
        store.IsInMemory ? new StandaloneQuery(store, null) : OpenFile(store.Options.DatabasePath);

    /// <summary>Runs <paramref name="sql"/> and returns every row of its (first) result.</summary>
    /// <exception cref="StandaloneQueryException">The SQL is wrong or tries to change something.</exception>
    public async Task<QueryResult> RunAsync(string sql, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sql);
        if (_store is not null)
            return await _store.RunExclusiveAsync(connection =>
            {
                ReadOnlyAuthorizer.Install(connection);
                try
                {
                    return Run(connection, sql, cancellationToken);
                }
                finally
                {
                    ReadOnlyAuthorizer.Remove(connection);
                }
            }, cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Run(_connection!, sql, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static QueryResult Run(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            using var reader = command.ExecuteReader();
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
            var rows = new List<string?[]>();
            while (reader.Read())
            {
                if ((rows.Count & 1023) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                var row = new string?[columns.Length];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.GetValue(i) switch
                    {
                        DBNull => null,
                        long l => l.ToString(CultureInfo.InvariantCulture),
                        double d => d.ToString("R", CultureInfo.InvariantCulture),
                        byte[] b => Convert.ToHexString(b),
                        var other => Convert.ToString(other, CultureInfo.InvariantCulture),
                    };
                }
                rows.Add(row);
            }
            // Only the first result is shown, but later statements must still be prepared: that is where the
            // authorizer refuses a write hidden after a SELECT ("SELECT 1; DELETE ...").
            while (reader.NextResult())
            {
            }
            return new QueryResult(columns, rows);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SqliteAuth or SqliteReadOnly)
        {
            throw new StandaloneQueryException($"Only reading queries are allowed here ({e.Message}).", e);
        }
        catch (SqliteException e)
        {
            throw new StandaloneQueryException($"The query failed: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _connection?.Dispose();
}
