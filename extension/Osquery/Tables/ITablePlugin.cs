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
    /// Produces the rows for one scan. Each row maps column names to values, all of them strings in plain
    /// invariant decimal form (see <see cref="RowValues"/>); keys that are not columns are ignored by osqueryd.
    /// The list is handed to Thrift as is, so large results are not copied. Constraints in
    /// <paramref name="context"/> are an optimisation only: osqueryd's SQLite re-applies every WHERE term.
    /// Exceptions become a failed call (status code 1) with the exception's message.
    /// </summary>
    ValueTask<List<Dictionary<string, string>>> GenerateAsync(QueryContext context, CancellationToken cancellationToken);
}
