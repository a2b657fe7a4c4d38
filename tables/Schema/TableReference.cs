using System.Globalization;
using System.Text;
using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Tables.Schema;

/// <summary>
/// Generates docs/tables.md from the table definitions, so the reference cannot drift from what osqueryd is told.
/// A test in Tables.Tests regenerates it and fails when the committed file differs.
/// </summary>
public static class TableReference
{
    /// <summary>The whole Markdown document.</summary>
    public static string Markdown(IEnumerable<TableDefinition> tables)
    {
        var md = new StringBuilder();
        md.Append("""
            # Table reference

            <!-- Generated from the probes' table definitions (probes/Probes/*/) and tables/Schema/StatusTables.cs by
                 TableReference.Markdown(); do not edit by hand. Regenerate: UPDATE_DOCS=1 dotnet test tests/Tables.Tests --filter DocsAreUpToDate -->

            Every event table is a bounded ring in SQLite: rows older than the table's retention or beyond the maximum
            row count (default 1,000,000 per table) are deleted. The retention follows osqueryd: `--events_expiry` (or
            `max_age_seconds`), extended to twice the longest interval of a scheduled query that reads the table (at
            most 7 days), and at least 3600 s while osqueryd's schedule is unknown; `ebpf_probes` shows it and why
            (docs/scheduled-queries.md, "Retention"). Every row has
            `time` (UNIX seconds) and a hidden `eid`, unique and strictly increasing per table and never reused, also
            across restarts when the store is on disk (default `/var/lib/osquery-bpf/events.db`). Constraints on any
            column are pushed down into SQLite (osqueryd re-applies them anyway); `WHERE time > N` uses an index. See
            docs/scheduled-queries.md for receiving every event exactly once in scheduled queries.

            A table with no history starts its eids at (UNIX seconds x 2^20), so eids keep increasing even when the
            database had to be replaced (a damaged file is moved aside as `events.db.corrupt-<UTC time>`) or lives in
            memory (`:memory:`, lost on restart), as long as fewer than about a million events per second were stored.
            The store keeps a high-water mark per table, so eids are not reused after the newest rows are deleted.

            The options column shows osquery's column options and the decimal `op` value osqueryd receives. Columns
            with no option (0) are treated as INDEX by osqueryd's `--extensions_default_index` (default true); hidden
            columns are declared INDEX | HIDDEN (17) so that they stay filterable.

            Numbers are sent as plain decimal text. INTEGER columns only ever hold values that fit in 32 bits, since
            osqueryd truncates INTEGER to 32 bits; everything that can be larger is BIGINT.

            """);
        md.Append('\n');
        foreach (var table in tables)
        {
            md.Append("## ").Append(table.Name).Append("\n\n");
            md.Append(table.Description).Append('\n');
            md.Append('\n');
            md.Append("| column | type | options | description |\n");
            md.Append("| --- | --- | --- | --- |\n");
            foreach (var column in table.Columns)
            {
                md.Append("| ").Append(column.Name)
                  .Append(" | ").Append(column.Type.ToWireName())
                  .Append(" | ").Append(OptionsText(column.Options))
                  .Append(" | ").Append(column.Description.Replace("|", "\\|", StringComparison.Ordinal))
                  .Append(" |\n");
            }
            md.Append('\n');
        }
        AppendColumnMap(md);
        return md.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>The porting section: osquery's event-table columns and where ours hold the same fact.</summary>
    private static void AppendColumnMap(StringBuilder md)
    {
        md.Append("""
            # Porting packs from osquery's event tables

            Where each column of osquery's Linux event tables (5.23.1) is found here. An empty "ours" means we do not have
            the fact, and no column pretends to: a query naming such a column fails to parse, so drop it from the ported
            query. Values follow osquery's conventions where the fact is the same.

            """).Append('\n');
        foreach (var map in OsqueryColumnMap.Tables)
        {
            md.Append("## ").Append(map.OsqueryTable).Append(" (").Append(map.Source).Append(") to ").Append(map.OurTable).Append("\n\n");
            md.Append(map.Summary).Append("\n\n");
            md.Append("| osquery | ours | difference |\n| --- | --- | --- |\n");
            foreach (var entry in map.Columns)
                md.Append("| ").Append(entry.OsqueryColumn).Append(" | ").Append(entry.OurColumn.Length == 0 ? "(none)" : entry.OurColumn)
                  .Append(" | ").Append(entry.Note.Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
            md.Append('\n');
        }
    }

    private static readonly (ColumnOptions Option, string Name)[] OptionNames =
    {
        (ColumnOptions.Index, "INDEX"),
        (ColumnOptions.Required, "REQUIRED"),
        (ColumnOptions.Additional, "ADDITIONAL"),
        (ColumnOptions.Optimized, "OPTIMIZED"),
        (ColumnOptions.Hidden, "HIDDEN"),
    };

    private static string OptionsText(ColumnOptions options)
    {
        if (options == ColumnOptions.Default)
            return "0";
        var names = new List<string>();
        foreach (var (option, name) in OptionNames)
        {
            if ((options & option) != 0)
                names.Add(name);
        }
        return string.Join(" \\| ", names) + " (" + ((int)options).ToString(CultureInfo.InvariantCulture) + ")";
    }
}
