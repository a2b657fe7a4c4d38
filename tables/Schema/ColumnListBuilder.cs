using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Tables.Schema;

/// <summary>Builds the column list of one table from accessors on its row source <typeparamref name="T"/>.</summary>
public sealed class ColumnListBuilder<T> where T : class
{
    /// <summary>A nullable Integer column returns this to mean NULL.</summary>
    public const long Null = long.MinValue;

    private readonly List<TableColumn> _columns = new();

    /// <summary>A numeric column stored as a 64-bit integer.</summary>
    public ColumnListBuilder<T> Integer(string name, ColumnType type, string description, Func<T, long> value,
        ColumnOptions options = ColumnOptions.Default, bool nullable = false)
    {
        _columns.Add(new TableColumn(name, type, options, description, StorageKind.Integer, o => value((T)o), null, nullable));
        return this;
    }

    /// <summary>A 0/1 INTEGER column.</summary>
    public ColumnListBuilder<T> Flag(string name, string description, Func<T, bool> value, ColumnOptions options = ColumnOptions.Default) =>
        Integer(name, ColumnType.Integer, description, o => value(o) ? 1 : 0, options);

    /// <summary>A TEXT column.</summary>
    public ColumnListBuilder<T> Text(string name, string description, Func<T, string> value, ColumnOptions options = ColumnOptions.Default)
    {
        _columns.Add(new TableColumn(name, ColumnType.Text, options, description, StorageKind.Text, null, o => value((T)o) ?? ""));
        return this;
    }

    /// <summary>A column osquery declares TEXT (so we do too, for compatibility) whose values are decimal numbers;
    /// stored as an integer, which SQLite compares with text constraints by converting the text.</summary>
    public ColumnListBuilder<T> NumberAsText(string name, string description, Func<T, long> value, ColumnOptions options = ColumnOptions.Default)
    {
        _columns.Add(new TableColumn(name, ColumnType.Text, options, description, StorageKind.Integer, o => value((T)o), null));
        return this;
    }

    /// <summary>The store-assigned event id: hidden, but filterable (INDEX | HIDDEN = 17).</summary>
    public ColumnListBuilder<T> Eid()
    {
        _columns.Add(new TableColumn("eid", ColumnType.BigInt, ColumnOptions.Index | ColumnOptions.Hidden,
            "Event id: unique and strictly increasing per table, never reused, kept across restarts when the store is on disk.",
            StorageKind.Integer, null, null));
        return this;
    }

    /// <summary>
    /// A column of a view (<see cref="TableDefinition.View"/>): its values come from the view's SELECT, so it has no
    /// accessor; <paramref name="integerStorage"/> says whether SQLite hands it over as an integer or as text.
    /// </summary>
    public ColumnListBuilder<T> ViewColumn(string name, ColumnType type, string description, bool integerStorage,
        ColumnOptions options = ColumnOptions.Default, bool nullable = false)
    {
        _columns.Add(new TableColumn(name, type, options, description, integerStorage ? StorageKind.Integer : StorageKind.Text, null, null, nullable));
        return this;
    }

    /// <summary>The columns, in the order they were added.</summary>
    public IReadOnlyList<TableColumn> Build() => _columns.ToArray();
}
