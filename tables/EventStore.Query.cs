using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using OsqueryBpf.Osquery.Tables;
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
    /// time index. <c>ebpf_probes</c> is answered from the counters in memory, so it tells the truth also when the
    /// database cannot be written (a full disk).
    /// </summary>
    /// <exception cref="ArgumentException">The table is not one of <see cref="Tables"/>.</exception>
    /// <exception cref="ResultTooLargeException">The answer would exceed <see cref="StoreOptions.MaxResultBytes"/>.</exception>
    public async Task<List<Dictionary<string, string>>> QueryAsync(string table, IReadOnlyList<ColumnConstraint> constraints,
        IReadOnlyCollection<string>? columnsUsed, CancellationToken cancellationToken = default)
    {
        var sink = new DictionarySink(_options.MaxResultBytes);
        var outcome = await QueryAsync(table, constraints, columnsUsed, sink, fitToSink: false, cancellationToken).ConfigureAwait(false);
        if (!outcome.Complete)
            throw new ResultTooLargeException(table, _options.MaxResultBytes, sink.Rows.Count);
        return sink.Rows;
    }

    /// <summary>
    /// The same query as <see cref="QueryAsync(string, IReadOnlyList{ColumnConstraint}, IReadOnlyCollection{string}?, CancellationToken)"/>,
    /// streamed into <paramref name="sink"/> as SQLite produces the rows: nothing is held besides what the sink
    /// keeps. When the sink has no room for a row, the query stops (<see cref="QueryOutcome.Complete"/> false),
    /// unless <paramref name="fitToSink"/> is set: then the store starts over and delivers what fits, choosing the
    /// rows that matter most (see <see cref="ExecuteFitted"/>), and counts and logs the rows it left out.
    /// </summary>
    /// <exception cref="ArgumentException">The table is not one of <see cref="Tables"/>.</exception>
    public async Task<QueryOutcome> QueryAsync(string table, IReadOnlyList<ColumnConstraint> constraints,
        IReadOnlyCollection<string>? columnsUsed, IRowSink sink, bool fitToSink = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ThrowIfDisposed();
        var definition = FindTable(table) ?? throw new ArgumentException($"There is no table named '{table}'.", nameof(table));
        constraints ??= Array.Empty<ColumnConstraint>();
        if (ReferenceEquals(definition, StatusTables.Probes) && !IsReadOnly)
            return AnswerProbeStatus(constraints, columnsUsed, sink); // a read-only view reads the writer's copy below
        if (IsInMemory)
        {
            await _connectionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return Answer(_connection, definition, constraints, columnsUsed, sink, fitToSink, cancellationToken);
            }
            finally
            {
                _connectionGate.Release();
            }
        }
        using var connection = new SqliteConnection(_readerConnectionString);
        connection.Open();
        // One read transaction: the fitted second pass sees the same rows as the first.
        using var snapshot = connection.BeginTransaction(deferred: true);
        return Answer(connection, definition, constraints, columnsUsed, sink, fitToSink, cancellationToken);
    }

    private QueryOutcome Answer(SqliteConnection connection, TableDefinition definition, IReadOnlyList<ColumnConstraint> constraints,
        IReadOnlyCollection<string>? columnsUsed, IRowSink sink, bool fitToSink, CancellationToken cancellationToken)
    {
        var statement = SelectBuilder.Build(definition, constraints, columnsUsed);
        var outcome = Execute(connection, statement, sink, cancellationToken);
        if (outcome.Complete || !fitToSink || !definition.IsEvented)
            return outcome;
        sink.Restart();
        var fitted = ExecuteFitted(connection, definition, constraints, statement, sink, cancellationToken);
        _tablesByName[definition.Name].CountLeftOut(fitted.Outcome.LeftOut);
        WarnAboutLeftOut(definition, fitted.Outcome, fitted.Busiest);
        return fitted.Outcome;
    }

    private static QueryOutcome Execute(SqliteConnection connection, SelectStatement statement, IRowSink sink, CancellationToken cancellationToken,
        bool start = true)
    {
        using var select = new NativeStatement(connection, statement.Sql);
        foreach (var (name, value) in statement.Parameters)
            select.Bind(name, value);

        var columns = statement.Columns;
        if (start)
            sink.Start(columns.Select(c => c.Name).ToArray());
        var integer = columns.Select(c => c.Storage == StorageKind.Integer).ToArray();
        var nullable = columns.Select(c => c.Nullable).ToArray();
        long rows = 0;
        try
        {
            while (select.Step())
            {
                if ((rows & 1023) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                sink.BeginRow();
                for (var i = 0; i < columns.Count; i++)
                {
                    if (!integer[i])
                        sink.Text(i, select.ColumnUtf8(i));
                    else if (nullable[i] && select.IsNull(i))
                        sink.Null(i); // osqueryd reads an empty numeric value as NULL
                    else
                        sink.Integer(i, select.ColumnInteger(i));
                }
                if (!sink.EndRow())
                    return new QueryOutcome(rows, Complete: false);
                rows++;
            }
        }
        finally
        {
            select.Reset();
        }
        return new QueryOutcome(rows, Complete: true);
    }

    /// <summary>Most processes named in one pass of <see cref="ExecuteFitted"/> (SQLite allows 32,766 parameters).</summary>
    private const int MaxProcessesPerPass = 10_000;

    /// <summary>
    /// The answer when every matching row does not fit: all rows of the processes with the fewest rows, as many
    /// such processes as fit, so that a flood by a few processes cannot crowd out everybody else's events; then the
    /// newest rows of the next process, as many as still fit; the busiest processes' other rows are left out.
    /// First one pass counts each process's matching rows and their size in the reply (the Thrift bytes the sink
    /// counts: a 6-byte map header, and per column 8 bytes of lengths, the name and the value's UTF-8), then the
    /// chosen rows are read in eid order, without sorting the whole result (SQLite would spill it to temporary files).
    /// </summary>
    private static (QueryOutcome Outcome, List<(long Pid, long Rows)> Busiest) ExecuteFitted(SqliteConnection connection,
        TableDefinition definition, IReadOnlyList<ColumnConstraint> constraints, SelectStatement plain, IRowSink sink,
        CancellationToken cancellationToken)
    {
        // The inner select has the query's own columns plus pid and eid, which the passes filter and order by.
        var wanted = plain.Columns.Select(c => c.Name).Concat(["pid", "eid"]).ToHashSet(StringComparer.Ordinal);
        var inner = SelectBuilder.Build(definition, constraints, wanted);
        var rowBytes = "6" + string.Concat(plain.Columns.Select(c =>
            $" + {8 + Encoding.UTF8.GetByteCount(c.Name)} + ifnull(length(CAST({c.QuotedName} AS BLOB)), 0)"));
        var perProcess = new List<(long Pid, long Rows, long Bytes)>();
        using (var count = new NativeStatement(connection,
                   $"SELECT \"pid\", count(*), sum({rowBytes}) FROM ({inner.Sql}) GROUP BY 1 ORDER BY 2, 1"))
        {
            foreach (var (name, value) in inner.Parameters)
                count.Bind(name, value);
            while (count.Step())
                perProcess.Add((count.ColumnInteger(0), count.ColumnInteger(1), count.ColumnInteger(2)));
        }
        var matched = perProcess.Sum(p => p.Rows);

        // Whole processes, fewest rows first, while they fit; the first that does not is cut to its newest rows.
        var free = sink.FreeBytes;
        var whole = 0;
        for (long used = 0; whole < perProcess.Count && used + perProcess[whole].Bytes <= free; whole++)
            used += perProcess[whole].Bytes;

        var outerColumns = plain.Columns.Count == 0 ? "NULL" : string.Join(", ", plain.Columns.Select(c => c.QuotedName));
        sink.Start(plain.Columns.Select(c => c.Name).ToArray());
        long delivered = 0;
        var room = true;
        for (var first = 0; first < whole && room; first += MaxProcessesPerPass)
        {
            var pids = perProcess.Skip(first).Take(Math.Min(MaxProcessesPerPass, whole - first)).Select(p => p.Pid);
            var outcome = Execute(connection, Pass(inner, outerColumns, plain.Columns, pids, newestFirst: false), sink, cancellationToken, start: false);
            delivered += outcome.Rows;
            room = outcome.Complete;
        }
        if (room && whole < perProcess.Count)
            delivered += Execute(connection, Pass(inner, outerColumns, plain.Columns, [perProcess[whole].Pid], newestFirst: true), sink,
                cancellationToken, start: false).Rows;

        // The processes that lost rows: the busiest ones, from the end of the list.
        var busiest = perProcess.AsEnumerable().Reverse().Take(3).Select(p => (p.Pid, p.Rows)).ToList();
        return (new QueryOutcome(delivered, Complete: delivered == matched, LeftOut: matched - delivered), busiest);
    }

    /// <summary>One pass of <see cref="ExecuteFitted"/>: the rows of some processes, in eid order.</summary>
    private static SelectStatement Pass(SelectStatement inner, string outerColumns, IReadOnlyList<TableColumn> columns,
        IEnumerable<long> pids, bool newestFirst)
    {
        var parameters = new List<KeyValuePair<string, object>>(inner.Parameters);
        var names = new List<string>();
        foreach (var pid in pids)
        {
            var name = "@pid" + names.Count.ToString(CultureInfo.InvariantCulture);
            names.Add(name);
            parameters.Add(new KeyValuePair<string, object>(name, pid));
        }
        return new SelectStatement(
            $"SELECT {outerColumns} FROM ({inner.Sql}) WHERE \"pid\" IN ({string.Join(", ", names)}) ORDER BY \"eid\"{(newestFirst ? " DESC" : "")}",
            parameters, columns);
    }

    /// <summary>Says at WARN, at most once a minute per table, that a reply left rows out and whose.</summary>
    private void WarnAboutLeftOut(TableDefinition definition, QueryOutcome outcome, List<(long Pid, long Rows)> busiest)
    {
        if (!outcome.Truncated)
            return;
        var state = _tablesByName[definition.Name];
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref state.LastLeftOutWarning);
        if (now - last < 60_000 && last != 0 || Interlocked.CompareExchange(ref state.LastLeftOutWarning, now, last) != last)
            return;
        _warn($"A result of '{definition.Name}' did not fit in one reply: it has the {outcome.Rows} rows that fit, every row of the " +
              $"processes with fewer rows first, and left out {outcome.LeftOut} rows of the busiest processes (" +
              string.Join(", ", busiest.Select(b => $"pid {b.Pid}: {b.Rows} rows")) +
              $"). {state.Snapshot().LeftOut} rows were left out of '{definition.Name}' replies so far; they stay buffered.");
    }

    /// <summary>
    /// ebpf_probes from memory: the latest statuses the host supplied, with the store's live row counts. '='
    /// constraints are applied (the table is tiny; osqueryd re-applies everything anyway).
    /// </summary>
    private QueryOutcome AnswerProbeStatus(IReadOnlyList<ColumnConstraint> constraints, IReadOnlyCollection<string>? columnsUsed, IRowSink sink)
    {
        var definition = StatusTables.Probes;
        var columns = columnsUsed is null
            ? definition.Columns.ToList()
            : definition.Columns.Where(c => columnsUsed.Contains(c.Name)).ToList();
        sink.Start(columns.Select(c => c.Name).ToArray());
        long rows = 0;
        foreach (var status in Volatile.Read(ref _latestProbeStatus))
        {
            var state = _tablesByName.GetValueOrDefault(status.Table);
            var row = StatusRow(status, state);
            if (!MatchesEquals(definition, row, constraints))
                continue;
            sink.BeginRow();
            for (var i = 0; i < columns.Count; i++)
            {
                var column = columns[i];
                if (column.IntegerOf is { } integer)
                {
                    var value = integer(row);
                    if (column.Nullable && value == ColumnListBuilder<object>.Null)
                        sink.Null(i);
                    else
                        sink.Integer(i, value);
                }
                else
                    sink.Text(i, Encoding.UTF8.GetBytes(column.TextOf!(row)));
            }
            if (!sink.EndRow())
                return new QueryOutcome(rows, Complete: false);
            rows++;
        }
        return new QueryOutcome(rows, Complete: true);
    }

    /// <summary>False when an '=' constraint (or several, as for IN) on a column rules the row out.</summary>
    private static bool MatchesEquals(TableDefinition table, ProbeStatusRow row, IReadOnlyList<ColumnConstraint> constraints)
    {
        foreach (var group in constraints.Where(c => c.Operator == ConstraintOperator.Equals && c.Column is not null && c.Expression is not null)
                     .GroupBy(c => c.Column!, StringComparer.Ordinal))
        {
            var column = table.FindColumn(group.Key);
            if (column is null)
                continue;
            string text;
            if (column.IntegerOf is { } integer)
            {
                var value = integer(row);
                if (column.Nullable && value == ColumnListBuilder<object>.Null)
                    return false; // NULL equals nothing
                text = value.ToString(CultureInfo.InvariantCulture);
                if (!group.All(c => SelectBuilder.TryParseNumber(c.Expression!, out _)))
                    continue; // compared as text by osqueryd; leave it to osqueryd
                if (!group.Any(c => SelectBuilder.TryParseNumber(c.Expression!, out var n) && n is long l && l == value))
                    return false;
                continue;
            }
            text = column.TextOf!(row);
            if (!group.Any(c => string.Equals(c.Expression, text, StringComparison.Ordinal)))
                return false;
        }
        return true;
    }

    /// <summary>Collects rows as osqueryd's string maps, counting their size as Thrift bytes.</summary>
    private sealed class DictionarySink(long maxBytes) : IRowSink
    {
        private string[] _names = [];
        private long[] _keyBytes = [];
        private byte[]?[] _lastBytes = [];
        private string?[] _lastText = [];
        private Dictionary<string, string>? _row;
        private long _bytes;

        public List<Dictionary<string, string>> Rows { get; } = new();

        public void Start(IReadOnlyList<string> columns)
        {
            _names = columns.ToArray();
            // Thrift's binary protocol: per entry two 4-byte lengths and the UTF-8 bytes.
            _keyBytes = _names.Select(n => 8L + Encoding.UTF8.GetByteCount(n)).ToArray();
            _lastBytes = new byte[_names.Length][];
            _lastText = new string[_names.Length];
        }

        public void BeginRow()
        {
            _row = new Dictionary<string, string>(_names.Length, StringComparer.Ordinal);
            _bytes += 6; // the map header
        }

        public void Text(int column, ReadOnlySpan<byte> utf8)
        {
            // Text that repeats from one row to the next in the same column (comm, executable, action, ...) is
            // decoded once and the string reused.
            string text;
            if (_lastBytes[column] is { } last && utf8.SequenceEqual(last))
                text = _lastText[column]!;
            else
            {
                text = utf8.Length == 0 ? "" : Encoding.UTF8.GetString(utf8);
                _lastBytes[column] = utf8.ToArray();
                _lastText[column] = text;
            }
            Put(column, text, utf8.Length);
        }

        public void Integer(int column, long value)
        {
            var text = value.ToString(CultureInfo.InvariantCulture); // plain decimal: no '+', no leading zeros
            Put(column, text, text.Length);
        }

        public void Null(int column) => Put(column, "", 0);

        public long FreeBytes => Math.Max(0, maxBytes - _bytes);

        public void Restart()
        {
            Rows.Clear();
            _bytes = 0;
        }

        public bool EndRow()
        {
            if (_bytes > maxBytes)
                return false;
            Rows.Add(_row!);
            return true;
        }

        private void Put(int column, string value, int utf8Length)
        {
            _row![_names[column]] = value;
            _bytes += _keyBytes[column] + utf8Length;
        }
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
