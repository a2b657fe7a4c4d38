using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using OsqueryBpf.Tables.Query;
using OsqueryBpf.Tables.Schema;
using OsqueryBpf.Tables.Store;

namespace OsqueryBpf.Tables;

public sealed partial class EventStore
{
    /// <summary>
    /// Answers osqueryd's <c>generate</c> for one table. Constraints are pushed into SQL as parameters where that is
    /// exact, and otherwise ignored (osqueryd re-applies every WHERE term). <paramref name="columnsUsed"/> limits the
    /// columns read: null means all columns, including hidden ones; an empty list gives one empty row per match
    /// (enough for count(*)). Every value is a string formatted the way osqueryd parses it: integers in plain
    /// decimal, NULL as the empty string. Rows come in eid order, or in time order when a time constraint chose the
    /// time index.
    /// </summary>
    /// <exception cref="ArgumentException">The table is not one of <see cref="EventTables.All"/>.</exception>
    /// <exception cref="ResultTooLargeException">The answer would exceed <see cref="StoreOptions.MaxResultBytes"/>.</exception>
    public async Task<List<Dictionary<string, string>>> QueryAsync(string table, IReadOnlyList<Constraint> constraints,
        IReadOnlyCollection<string>? columnsUsed, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var definition = EventTables.Find(table) ?? throw new ArgumentException($"There is no table named '{table}'.", nameof(table));
        var statement = SelectBuilder.Build(definition, constraints ?? Array.Empty<Constraint>(), columnsUsed);
        if (IsInMemory)
        {
            await _connectionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return Execute(_connection, definition, statement, cancellationToken);
            }
            finally
            {
                _connectionGate.Release();
            }
        }
        using var connection = new SqliteConnection(_readerConnectionString);
        connection.Open();
        return Execute(connection, definition, statement, cancellationToken);
    }

    private List<Dictionary<string, string>> Execute(SqliteConnection connection, TableDefinition table, SelectStatement statement,
        CancellationToken cancellationToken)
    {
        using var select = new NativeStatement(connection, statement.Sql);
        foreach (var (name, value) in statement.Parameters)
            select.Bind(name, value);

        var columns = statement.Columns;
        var reader = new RowReader(columns);
        var rows = new List<Dictionary<string, string>>();
        // Thrift's binary protocol: a map header (6 bytes), then per entry two 4-byte lengths and the UTF-8 bytes.
        long bytes = 0;
        var keyBytes = columns.Select(c => 8L + Encoding.UTF8.GetByteCount(c.Name)).ToArray();
        try
        {
            while (select.Step())
            {
                if ((rows.Count & 1023) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                var row = new Dictionary<string, string>(columns.Count, StringComparer.Ordinal);
                bytes += 6;
                for (var i = 0; i < columns.Count; i++)
                {
                    var value = reader.Read(select, i);
                    row[columns[i].Name] = value;
                    bytes += keyBytes[i] + (value.Length < 64 && IsAscii(value) ? value.Length : Encoding.UTF8.GetByteCount(value));
                }
                if (bytes > _options.MaxResultBytes)
                    throw new ResultTooLargeException(table.Name, _options.MaxResultBytes, rows.Count);
                rows.Add(row);
            }
        }
        finally
        {
            select.Reset();
        }
        return rows;
    }

    private static bool IsAscii(string value)
    {
        foreach (var c in value)
        {
            if (c > 0x7f)
                return false;
        }
        return true;
    }
}

public sealed partial class EventStore
{
    /// <summary>A standalone, read-only SQL runner over this store's tables (works for <c>:memory:</c> too).</summary>
    public Standalone.StandaloneQuery OpenStandaloneQuery()
    {
        ThrowIfDisposed();
        return Standalone.StandaloneQuery.ForStore(this);
    }

    /// <summary>Runs <paramref name="work"/> on the writer connection while nothing else uses it (in-memory stores).</summary>
    internal async Task<T> RunExclusiveAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await _connectionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return work(_connection);
        }
        finally
        {
            _connectionGate.Release();
        }
    }
}

public sealed partial class EventStore
{
    /// <summary>Test hook: holds the writer connection so the writer task blocks before its next batch; dispose the
    /// result to let it go on.</summary>
    internal async Task<IDisposable> PauseWriterAsync()
    {
        await _connectionGate.WaitAsync().ConfigureAwait(false);
        return new Releaser(_connectionGate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                gate.Release();
        }
    }
}
