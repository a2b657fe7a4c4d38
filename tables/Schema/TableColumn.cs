using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Tables.Schema;

/// <summary>One column of a table: what osqueryd is told about it, and how the store keeps it.</summary>
public sealed class TableColumn
{
    internal TableColumn(
        string name,
        ColumnType type,
        ColumnOptions options,
        string description,
        StorageKind storage,
        Func<object, long>? integerOf,
        Func<object, string>? textOf,
        bool nullable = false)
    {
        Name = name;
        Type = type;
        Options = options;
        Description = description;
        Storage = storage;
        IntegerOf = integerOf;
        TextOf = textOf;
        Nullable = nullable;
    }

    /// <summary>The column name, as in SQL.</summary>
    public string Name { get; }

    /// <summary>The column as osqueryd's <c>columns</c> route declares it.</summary>
    public ColumnDefinition Route => new(Name, Type, Options);

    /// <summary>The type osqueryd parses the value as.</summary>
    public ColumnType Type { get; }

    /// <summary>osquery's options bitmask.</summary>
    public ColumnOptions Options { get; }

    /// <summary>One sentence for the table reference.</summary>
    public string Description { get; }

    /// <summary>True when <c>SELECT *</c> leaves the column out.</summary>
    public bool IsHidden => (Options & ColumnOptions.Hidden) != 0;

    internal StorageKind Storage { get; }

    /// <summary>Reads the value of an Integer-stored column from the row source (an event or a probe status).
    /// Null for <c>eid</c> and the columns the store fills in itself.</summary>
    internal Func<object, long>? IntegerOf { get; }

    /// <summary>Reads the value of a Text-stored column from the row source.</summary>
    internal Func<object, string>? TextOf { get; }

    /// <summary>True when the stored value may be NULL (formatted as an empty string, which osqueryd reads as NULL
    /// for numeric columns).</summary>
    internal bool Nullable { get; }

    /// <summary>The column name quoted for SQLite (several names, such as <c>type</c> and <c>table</c>, are keywords).</summary>
    internal string QuotedName => SqlNames.Quote(Name);
}
