using System.Text;

namespace OsqueryBpf.Tables.Schema;

/// <summary>The SQLite schema of the store, generated from the table definitions.</summary>
internal static class StoreSchema
{
    /// <summary>
    /// Per-table high-water mark of eid. It is advanced in the same transaction as every batch, so an eid is never
    /// handed out twice, even after the newest rows were deleted or the table was dropped for a schema change.
    /// </summary>
    public const string EidTable = "osquery_bpf_eid";

    public static string EidTableDdl =>
        $"CREATE TABLE IF NOT EXISTS {EidTable} (table_name TEXT PRIMARY KEY NOT NULL, next_eid INTEGER NOT NULL)";

    /// <summary>The CREATE TABLE statement, exactly as SQLite keeps it in sqlite_schema (compared at start-up to detect a
    /// schema change between versions).</summary>
    public static string CreateTable(TableDefinition table)
    {
        var sql = new StringBuilder("CREATE TABLE ").Append(table.QuotedName).Append(" (");
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            if (i > 0)
                sql.Append(", ");
            sql.Append(column.QuotedName).Append(' ');
            if (column.Name == "eid" && table.IsEvented)
                sql.Append("INTEGER PRIMARY KEY");
            else
                sql.Append(column.Storage == StorageKind.Integer ? "INTEGER" : "TEXT").Append(column.Nullable ? "" : " NOT NULL");
        }
        return sql.Append(')').ToString();
    }

    /// <summary>The CREATE VIEW of a view (<see cref="TableDefinition.View"/>).</summary>
    public static string CreateView(TableDefinition view) =>
        $"CREATE VIEW {view.QuotedName} ({string.Join(", ", view.Columns.Select(c => c.QuotedName))}) AS {view.ViewSql}";

    /// <summary>The time index of an event table; null for the status table.</summary>
    public static string? CreateTimeIndex(TableDefinition table) =>
        table.IsEvented ? $"CREATE INDEX IF NOT EXISTS {SqlNames.Quote(table.Name + "_time")} ON {table.QuotedName} (\"time\")" : null;

    /// <summary>The INSERT of one row, with one parameter per column named @p0, @p1, ... in column order.</summary>
    public static string Insert(TableDefinition table)
    {
        var sql = new StringBuilder("INSERT INTO ").Append(table.QuotedName).Append(" (");
        sql.AppendJoin(", ", table.Columns.Select(c => c.QuotedName)).Append(") VALUES (");
        sql.AppendJoin(", ", table.Columns.Select((_, i) => "@p" + i)).Append(')');
        return sql.ToString();
    }
}
