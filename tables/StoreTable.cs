using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Tables;

/// <summary>
/// One store table served to osqueryd: the routes come from the table's definition in tables/Schema, and a
/// generate call becomes a store query with osquery's constraints pushed down. The protocol layer turns an
/// exception (a result too large for osqueryd, a closed store) into a status-1 reply with its message.
/// </summary>
public sealed class StoreTable : ITablePlugin
{
    private readonly EventStore _store;
    private readonly TableDefinition _definition;

    /// <summary>Serves <paramref name="definition"/> from <paramref name="store"/>; <paramref name="eventBased"/> declares event tables EVENT_BASED.</summary>
    public StoreTable(EventStore store, TableDefinition definition, bool eventBased)
    {
        _store = store;
        _definition = definition;
        Columns = definition.Columns.Select(c => c.Route).ToArray();
        Attributes = (TableAttributes)definition.OsqueryAttributes(eventBased);
    }

    /// <inheritdoc />
    public string Name => _definition.Name;

    /// <inheritdoc />
    public IReadOnlyList<ColumnDefinition> Columns { get; }

    /// <inheritdoc />
    public TableAttributes Attributes { get; }

    /// <inheritdoc />
    public async ValueTask GenerateAsync(QueryContext context, TableRows rows, CancellationToken cancellationToken)
    {
        var constraints = context.AllConstraints().ToList();
        // A result that does not fit in one reply is answered with the rows that fit, every row of the processes
        // with fewer rows first (docs/scheduled-queries.md): a flood by a few processes must not make the whole
        // window query fail and so hide everybody else's events. The store counts and logs what it left out.
        var outcome = await _store.QueryAsync(Name, constraints, context.ColumnsUsed, new ReplySink(rows), fitToSink: true, cancellationToken)
            .ConfigureAwait(false);
        rows.TruncationReported = outcome.Truncated;
    }

    /// <summary>Passes the store's rows to the reply: SQLite's UTF-8 text and integers go straight into the Thrift bytes.</summary>
    private sealed class ReplySink(TableRows rows) : IRowSink
    {
        private byte[][] _names = [];

        public void Start(IReadOnlyList<string> columns) => _names = columns.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();

        public void BeginRow() => rows.BeginRow();

        public void Text(int column, ReadOnlySpan<byte> utf8) => rows.Add(_names[column], utf8);

        public void Integer(int column, long value) => rows.Add(_names[column], value);

        public void Null(int column) => rows.Add(_names[column], ReadOnlySpan<byte>.Empty);

        public bool EndRow() => rows.EndRow();

        public void Restart() => rows.Clear();

        public long FreeBytes => rows.MaxBytes - rows.Bytes;
    }
}
