using System.Globalization;

namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// Builds a table's route rows (osquery-protocol.md 2.3): one <c>column</c> row per column in declaration
/// order, then one <c>attributes</c> row. The same rows go into registerExtension and answer the
/// <c>columns</c> action, so osqueryd sees one consistent schema.
/// </summary>
public static class TableRoutes
{
    /// <summary>The route rows of <paramref name="table"/>.</summary>
    /// <exception cref="ArgumentException">The table has no columns or a column has no name.</exception>
    public static List<Dictionary<string, string>> Build(ITablePlugin table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.Columns.Count == 0)
            throw new ArgumentException($"Table '{table.Name}' has no columns; osqueryd refuses an empty route list.", nameof(table));
        var rows = new List<Dictionary<string, string>>(table.Columns.Count + 1);
        foreach (var column in table.Columns)
        {
            if (string.IsNullOrEmpty(column.Name))
                throw new ArgumentException($"Table '{table.Name}' has a column without a name.", nameof(table));
            rows.Add(new Dictionary<string, string>(4, StringComparer.Ordinal)
            {
                ["id"] = "column",
                ["name"] = column.Name,
                ["type"] = column.Type.ToWireName(),
                ["op"] = ((int)column.Options).ToString(CultureInfo.InvariantCulture),
            });
        }
        rows.Add(new Dictionary<string, string>(2, StringComparer.Ordinal)
        {
            ["id"] = "attributes",
            ["attributes"] = ((int)table.Attributes).ToString(CultureInfo.InvariantCulture),
        });
        return rows;
    }
}
