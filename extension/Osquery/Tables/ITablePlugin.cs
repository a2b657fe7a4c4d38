namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// A read-only osquery table served by this extension. The server turns <see cref="Columns"/> and
/// <see cref="Attributes"/> into route rows, and each <c>generate</c> call into <see cref="GenerateAsync"/>.
/// </summary>
public interface ITablePlugin
{
    /// <summary>The table name; must not clash with an osquery built-in table.</summary>
    string Name { get; }

    /// <summary>The columns in declaration order (at least one).</summary>
    IReadOnlyList<ColumnDefinition> Columns { get; }

    /// <summary>The table attributes sent in the <c>attributes</c> route row.</summary>
    TableAttributes Attributes { get; }

    /// <summary>
    /// Produces the rows for one scan into <paramref name="rows"/>, each a set of column names and values, all of
    /// them strings in plain invariant decimal form (see <see cref="RowValues"/>); keys that are not columns are
    /// ignored by osqueryd. The rows are encoded into the reply as they are added, so a large result is never held
    /// twice. <see cref="TableRows.EndRow"/> returns false when a row does not fit in one reply. Constraints in
    /// <paramref name="context"/> are an optimisation only: osqueryd's SQLite re-applies every WHERE term.
    /// Exceptions become a failed call (status code 1, no rows) with the exception's message.
    /// </summary>
    ValueTask GenerateAsync(QueryContext context, TableRows rows, CancellationToken cancellationToken);
}
