using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>
/// A table with one column of every type and typical options. Generate returns <see cref="RowCount"/> rows
/// and records the context it got. When <see cref="Gate"/> is set, generate blocks its thread on it, as a
/// synchronous SQLite read would.
/// </summary>
internal sealed class SyntheticTable : ITablePlugin
{
    public static readonly ColumnDefinition[] ColumnList =
    [
        ColumnDefinition.Text("name"),
        ColumnDefinition.BigInt("pid", ColumnOptions.Index),
        ColumnDefinition.Integer("count"),
        ColumnDefinition.Double("ratio"),
        ColumnDefinition.BigInt("time", ColumnOptions.Index | ColumnOptions.Additional),
        ColumnDefinition.BigInt("eid", ColumnOptions.Hidden | ColumnOptions.Index),
        ColumnDefinition.UnsignedBigInt("big"),
        ColumnDefinition.Blob("data"),
    ];

    public SyntheticTable(string name = "synthetic_table") => Name = name;

    public string Name { get; }

    public IReadOnlyList<ColumnDefinition> Columns => ColumnList;

    public TableAttributes Attributes => TableAttributes.EventBased;

    public int RowCount { get; set; } = 3;

    public ManualResetEventSlim? Gate { get; set; }

    public int GenerateCalls => Volatile.Read(ref _generateCalls);
    private int _generateCalls;

    public int Blocked => Volatile.Read(ref _blocked);
    private int _blocked;

    public QueryContext? LastContext { get; private set; }

    public Exception? ThrowThis { get; set; }

    public ValueTask GenerateAsync(QueryContext context, TableRows rows, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _generateCalls);
        LastContext = context;
        if (Gate is { } gate)
        {
            Interlocked.Increment(ref _blocked);
            gate.Wait(TimeSpan.FromSeconds(60), cancellationToken);
            Interlocked.Decrement(ref _blocked);
        }
        if (ThrowThis is { } e)
            throw e;
        for (var i = 0; i < RowCount; i++)
        {
            rows.Add(new Dictionary<string, string>
            {
                ["name"] = $"row {i}",
                ["pid"] = RowValues.From(1000L + i),
                ["count"] = RowValues.From(i),
                ["ratio"] = RowValues.From(i / 4.0),
                ["time"] = RowValues.From(1_764_000_000L + i),
                ["eid"] = RowValues.From((long)i + 1),
                ["big"] = RowValues.From(ulong.MaxValue / 4),
                ["data"] = Convert.ToHexString([(byte)i, 0xff]),
            });
        }
        return ValueTask.CompletedTask;
    }
}
