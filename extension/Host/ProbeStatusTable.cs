using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Host;

/// <summary>ebpf_probes: one row per probe, for operators and health checks (tables.md). Not evented.</summary>
internal sealed class ProbeStatusTable(IProbeStatusSource source) : ITablePlugin
{
    private static readonly ColumnDefinition[] ColumnList =
    [
        ColumnDefinition.Text("name"),
        ColumnDefinition.Text("table"),
        ColumnDefinition.Text("hooks"),
        ColumnDefinition.Text("status"),
        ColumnDefinition.Text("error"),
        ColumnDefinition.BigInt("events"),
        ColumnDefinition.BigInt("drops"),
        ColumnDefinition.BigInt("rows"),
        ColumnDefinition.BigInt("oldest_time"),
        ColumnDefinition.BigInt("ring_bytes"),
        ColumnDefinition.BigInt("loaded_at"),
    ];

    public string Name => "ebpf_probes";

    public IReadOnlyList<ColumnDefinition> Columns => ColumnList;

    public TableAttributes Attributes => TableAttributes.None;

    public ValueTask<List<Dictionary<string, string>>> GenerateAsync(QueryContext context, CancellationToken cancellationToken)
    {
        var probes = source.Snapshot();
        var rows = new List<Dictionary<string, string>>(probes.Count);
        foreach (var p in probes)
        {
            rows.Add(new Dictionary<string, string>(ColumnList.Length, StringComparer.Ordinal)
            {
                ["name"] = p.Name,
                ["table"] = p.Table,
                ["hooks"] = p.Hooks,
                ["status"] = p.Status,
                ["error"] = p.Error,
                ["events"] = RowValues.From(p.Events),
                ["drops"] = RowValues.From(p.Drops),
                ["rows"] = RowValues.From(p.Rows),
                // An empty string in a BIGINT column is NULL in osqueryd.
                ["oldest_time"] = p.OldestTime is { } oldest ? RowValues.From(oldest) : "",
                ["ring_bytes"] = RowValues.From(p.RingBytes),
                ["loaded_at"] = p.LoadedAt is { } loaded ? RowValues.From(loaded) : "",
            });
        }
        return ValueTask.FromResult(rows);
    }
}
