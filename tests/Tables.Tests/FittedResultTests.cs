using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

/// <summary>
/// A result larger than the reply can hold: with fitToSink the store delivers what fits, every row of the processes
/// with fewer rows first, so a flood by one process cannot hide the others' events; it counts and logs the rest.
/// </summary>
public sealed class FittedResultTests
{
    /// <summary>Keeps rows up to a number of bytes, counted the way the reply to osqueryd counts them.</summary>
    private sealed class CappedSink(long maxBytes) : IRowSink
    {
        private string[] _columns = [];
        private readonly Dictionary<string, string> _row = new(StringComparer.Ordinal);
        private long _bytes;

        public List<Dictionary<string, string>> Rows { get; } = [];

        public int Restarts { get; private set; }

        public long FreeBytes => maxBytes - _bytes;

        public void Start(IReadOnlyList<string> columns) => _columns = [.. columns];

        public void BeginRow() => _row.Clear();

        public void Text(int column, ReadOnlySpan<byte> utf8) => _row[_columns[column]] = System.Text.Encoding.UTF8.GetString(utf8);

        public void Integer(int column, long value) => _row[_columns[column]] = value.ToString();

        public void Null(int column) => _row[_columns[column]] = "";

        public bool EndRow()
        {
            var bytes = 6 + _row.Sum(p => 8 + System.Text.Encoding.UTF8.GetByteCount(p.Key) + System.Text.Encoding.UTF8.GetByteCount(p.Value));
            if (_bytes + bytes > maxBytes)
                return false;
            _bytes += bytes;
            Rows.Add(new Dictionary<string, string>(_row));
            return true;
        }

        public void Restart()
        {
            Rows.Clear();
            _bytes = 0;
            Restarts++;
        }
    }

    private static async Task<EventStore> FloodedStoreAsync(LogLines warnings)
    {
        var store = EventStore.Open(Stores.Memory(o => o.LogWarning = warnings.Add), ProbeCatalog.Tables);
        var now = Stores.Now;
        // Five quiet processes with ten events each, interleaved with a flood of 5,000 by one process.
        var events = new List<Events.Event>();
        for (var i = 0; i < 5000; i++)
        {
            events.Add(Stores.FileEvent(now, $"/flood/{i}", pid: 666));
            if (i % 100 == 0)
                events.Add(Stores.FileEvent(now, $"/quiet/{i / 100}", pid: 100 + i / 100 % 5));
        }
        Stores.AddAll(store, events);
        await store.FlushAsync();
        return store;
    }

    [Fact]
    public async Task EveryQuietProcessRowFitsAndTheFloodIsCutNewestFirst()
    {
        var warnings = new LogLines();
        await using var store = await FloodedStoreAsync(warnings);
        var window = new[] { new ColumnConstraint("time", ConstraintOperator.GreaterThan, (Stores.Now - 120).ToString()) };

        // Room for about a thousand of the 5,050 rows.
        var sink = new CappedSink(maxBytes: 64 * 1024);
        var outcome = await store.QueryAsync("ebpf_file_events", window, ["pid", "eid", "path"], sink, fitToSink: true);

        Assert.True(outcome.Truncated);
        Assert.InRange(outcome.Rows, 900, 1200);
        Assert.Equal(sink.Rows.Count, outcome.Rows);
        Assert.Equal(5050 - outcome.Rows, outcome.LeftOut);
        Assert.True(sink.FreeBytes < 100, $"{sink.FreeBytes} bytes left unused");
        Assert.Equal(1, sink.Restarts);
        var quiet = sink.Rows.Where(r => r["path"].StartsWith("/quiet/", StringComparison.Ordinal)).ToList();
        Assert.Equal(50, quiet.Count); // every event of the other processes
        var flood = sink.Rows.Where(r => r["pid"] == "666").Select(r => long.Parse(r["eid"])).ToList();
        Assert.Equal(outcome.Rows - 50, flood.Count);
        // The flood rows kept are its newest ones.
        var all = (await store.QueryAsync("ebpf_file_events", [], ["pid", "eid"])).Where(r => r["pid"] == "666").Select(r => long.Parse(r["eid"])).ToList();
        Assert.Equal(all.OrderDescending().Take(flood.Count).Order(), flood.Order());

        Assert.Equal(outcome.LeftOut, store.GetCounters("ebpf_file_events").LeftOut);
        var warning = Assert.Single(warnings.Lines);
        Assert.Contains($"left out {outcome.LeftOut} rows", warning);
        Assert.Contains("pid 666: 5000 rows", warning);
    }

    [Fact]
    public async Task WithoutFittingAFullSinkStopsTheQueryAndNothingIsCounted()
    {
        var warnings = new LogLines();
        await using var store = await FloodedStoreAsync(warnings);
        var sink = new CappedSink(maxBytes: 64 * 1024);
        var outcome = await store.QueryAsync("ebpf_file_events", [], ["pid"], sink, fitToSink: false);
        Assert.False(outcome.Complete);
        Assert.False(outcome.Truncated);
        Assert.Equal(0, sink.Restarts);
        Assert.Equal(0, store.GetCounters("ebpf_file_events").LeftOut);
        Assert.Empty(warnings.Lines);
    }

    [Fact]
    public async Task AResultThatFitsIsUntouchedAndColumnlessQueriesAreFittedToo()
    {
        var warnings = new LogLines();
        await using var store = await FloodedStoreAsync(warnings);
        var all = new CappedSink(maxBytes: 10 * 1024 * 1024);
        var complete = await store.QueryAsync("ebpf_file_events", [], null, all, fitToSink: true);
        Assert.True(complete.Complete);
        Assert.Equal(5050, complete.Rows);
        Assert.Equal(0, all.Restarts);

        // count(*) asks for no column at all: still one row per match, fitted the same way.
        var counted = new CappedSink(maxBytes: 600); // 100 empty rows of 6 bytes
        var outcome = await store.QueryAsync("ebpf_file_events", [], [], counted, fitToSink: true);
        Assert.Equal(100, outcome.Rows);
        Assert.Equal(4950, outcome.LeftOut);
    }
}
