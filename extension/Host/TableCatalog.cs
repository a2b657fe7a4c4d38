using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Host;

/// <summary>
/// The one place that decides which tables the extension serves. The probe runtime and the event store
/// are wired in here (and only here) when they exist; Program stays unaware of them.
/// </summary>
internal static class TableCatalog
{
    /// <summary>The tables to register with osqueryd.</summary>
    public static IReadOnlyList<ITablePlugin> Create(HostOptions options)
    {
        _ = options;
        return [new ProbeStatusTable(new EmptyProbeStatusSource())];
    }
}
