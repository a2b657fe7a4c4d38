using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Tables;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Host;

/// <summary>The one place that decides which tables the extension serves: every table of tables/Schema, backed by the store.</summary>
internal static class TableCatalog
{
    /// <summary>The tables to register with osqueryd.</summary>
    public static IReadOnlyList<ITablePlugin> Create(EventStore store, bool eventBased) =>
        EventTables.All.Select(definition => (ITablePlugin)new StoreTable(store, definition, eventBased)).ToArray();
}
