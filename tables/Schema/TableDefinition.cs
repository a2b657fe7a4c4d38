namespace OsqueryBpf.Tables.Schema;

/// <summary>One table served to osqueryd: its name, description and columns, in the order osqueryd is told.</summary>
public sealed class TableDefinition
{
    private readonly Dictionary<string, TableColumn> _byName;

    /// <summary>A table; an event table (<paramref name="isEvented"/>) stores events of <paramref name="eventType"/> and must have eid and time.</summary>
    public TableDefinition(string name, string description, bool isEvented, Type? eventType, IReadOnlyList<TableColumn> columns)
    {
        Name = name;
        Description = description;
        IsEvented = isEvented;
        EventType = eventType;
        Columns = columns;
        _byName = new Dictionary<string, TableColumn>(StringComparer.Ordinal);
        foreach (var column in columns)
        {
            if (!_byName.TryAdd(column.Name, column))
                throw new InvalidOperationException($"Table '{name}' declares column '{column.Name}' twice.");
        }
        if (isEvented && (!_byName.ContainsKey("eid") || !_byName.ContainsKey("time")))
            throw new InvalidOperationException($"Event table '{name}' must have 'eid' and 'time' columns.");
    }

    /// <summary>
    /// A read-only table that is a SQLite view over event tables (for example osquery's drop-in
    /// bpf_process_events over ebpf_process_events): its rows are the event table's rows, computed at query time,
    /// never a second copy. <paramref name="selectSql"/> must produce <paramref name="columns"/>, in order.
    /// </summary>
    public static TableDefinition View(string name, string description, IReadOnlyList<TableColumn> columns, string selectSql) =>
        new(name, description, isEvented: false, eventType: null, columns) { ViewSql = selectSql };

    /// <summary>The SELECT behind a view (<see cref="View"/>); null for a stored table.</summary>
    public string? ViewSql { get; private init; }

    /// <summary>The table name in osquery SQL and in the SQLite store.</summary>
    public string Name { get; }

    /// <summary>One paragraph for the table reference.</summary>
    public string Description { get; }

    /// <summary>True for the ring tables of events (eid, time, retention); false for the ebpf_probes status table.</summary>
    public bool IsEvented { get; }

    /// <summary>The event class whose instances become rows of this table; null for the status table.</summary>
    public Type? EventType { get; }

    /// <summary>The columns, in declaration order.</summary>
    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>The column with this exact name, or null.</summary>
    public TableColumn? FindColumn(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// The value of osquery's optional <c>attributes</c> route for this table: EVENT_BASED (4) when
    /// <paramref name="eventBased"/> is set and the table is evented, else 0 (docs/scheduled-queries.md explains the
    /// trade-off).
    /// </summary>
    public int OsqueryAttributes(bool eventBased) => eventBased && (IsEvented || ViewSql is not null) ? 4 : 0;

    internal string QuotedName => SqlNames.Quote(Name);
}
