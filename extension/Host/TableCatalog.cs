using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using OsqueryBpf.Tables;

namespace OsqueryBpf.Host;

/// <summary>The one place that decides which tables the extension serves: every table of the store (the probes', ebpf_probes
/// and the drop-in views, which are registered only when osqueryd lacks them).</summary>
internal static class TableCatalog
{
    /// <summary>The tables to register with osqueryd.</summary>
    public static IReadOnlyList<ITablePlugin> Create(EventStore store, bool eventBased) =>
        store.Tables.Select(definition => (ITablePlugin)new StoreTable(store, definition, eventBased)).ToArray();

    /// <summary>The tables registered only when osqueryd has none of that name: the drop-in views, when the settings offer them.</summary>
    public static IReadOnlyCollection<string> OfferedIfAbsent(bool dropInTables) =>
        dropInTables ? DropInTables.All.Select(t => t.Name).ToArray() : [];
}
