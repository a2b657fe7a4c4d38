using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Tables;

/// <summary>
/// Receives the rows of a store query as SQLite produces them, with text as SQLite's own UTF-8 bytes, so an
/// answer can be encoded for osqueryd without a string or dictionary per value. <see cref="Start"/> comes first,
/// then for each row <see cref="BeginRow"/>, one call per column in order, and <see cref="EndRow"/>.
/// </summary>
public interface IRowSink
{
    /// <summary>The names of the columns every row will have, in order.</summary>
    void Start(IReadOnlyList<string> columns);

    /// <summary>A new row begins.</summary>
    void BeginRow();

    /// <summary>A text value; the bytes are valid only during the call.</summary>
    void Text(int column, ReadOnlySpan<byte> utf8);

    /// <summary>An integer value.</summary>
    void Integer(int column, long value);

    /// <summary>NULL (osqueryd reads an empty string in a numeric column as NULL).</summary>
    void Null(int column);

    /// <summary>The row is complete. False when the sink has no room for it (the row is not kept): the store stops.</summary>
    bool EndRow();

    /// <summary>
    /// How many more bytes of rows the sink takes, counted as osqueryd's Thrift reply counts them: per row a 6-byte
    /// map header, and per column 8 bytes of lengths plus the UTF-8 of its name and of its value.
    /// </summary>
    long FreeBytes { get; }

    /// <summary>
    /// Discards every row delivered so far: the store starts over, choosing which rows to deliver because they
    /// did not all fit (see <see cref="EventStore.QueryAsync(string, IReadOnlyList{ColumnConstraint}, IReadOnlyCollection{string}?, IRowSink, bool, CancellationToken)"/>).
    /// </summary>
    void Restart();
}
