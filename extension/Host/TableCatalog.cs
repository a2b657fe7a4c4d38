using OsqueryBpf.Containers.Attribution;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Tables;

namespace OsqueryBpf.Host;

/// <summary>
/// The one place that decides which tables the extension serves: every table of the store (the probes' and ebpf_probes)
/// and ebpf_containers from the container map.
/// </summary>
internal static class TableCatalog
{
    /// <summary>The tables to register with osqueryd.</summary>
    public static IReadOnlyList<ITablePlugin> Create(EventStore store, bool eventBased, ContainerMap containers) =>
        [.. store.Tables.Select(definition => (ITablePlugin)new StoreTable(store, definition, eventBased)), new ContainersTable(containers)];
}
