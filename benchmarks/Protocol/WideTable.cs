using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Protocol.Bench;

/// <summary>A table of 20 columns whose generate returns prebuilt rows, so the benchmark measures the protocol only.</summary>
internal sealed class WideTable : ITablePlugin
{
    private readonly List<Dictionary<string, string>> _rows;

    public WideTable(int rows)
    {
        Columns = Enumerable.Range(0, 20)
            .Select(i => i % 2 == 0 ? ColumnDefinition.BigInt($"c{i:00}") : ColumnDefinition.Text($"c{i:00}"))
            .ToArray();
        _rows = Enumerable.Range(0, rows).Select(r => Columns.ToDictionary(
            c => c.Name,
            c => c.Type == ColumnType.BigInt ? RowValues.From(1_764_000_000L + r) : $"/usr/bin/some-binary-{r % 97}")).ToList();
    }

    public string Name => "bench_wide";

    public IReadOnlyList<ColumnDefinition> Columns { get; }

    public TableAttributes Attributes => TableAttributes.None;

    /// <summary>The prebuilt rows, for measuring their encoding alone.</summary>
    public IReadOnlyList<Dictionary<string, string>> Rows => _rows;

    public ValueTask GenerateAsync(QueryContext context, TableRows rows, CancellationToken cancellationToken)
    {
        foreach (var row in _rows)
            rows.Add(row);
        return ValueTask.CompletedTask;
    }
}
