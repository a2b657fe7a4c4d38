using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

public sealed class ConcurrencyTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task QueriesRunWhileTheWriterIngests(bool inMemory)
    {
        using var folder = new TempFolder();
        await using var store = EventStore.Open(inMemory ? Stores.Memory() : Stores.OnDisk(folder.File("events.db")), ProbeCatalog.Tables);
        var now = Stores.Now;
        using var stop = new CancellationTokenSource();
        var queries = 0;
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            using var standalone = store.OpenStandaloneQuery();
            while (!stop.IsCancellationRequested)
            {
                var rows = await store.QueryAsync("ebpf_file_events",
                    [new ColumnConstraint("time", ConstraintOperator.GreaterThanOrEquals, (now - 1).ToString())], ["eid", "path"]);
                Assert.All(rows, r => Assert.StartsWith("/c/", r["path"]));
                var count = await standalone.RunAsync("SELECT count(*) FROM ebpf_file_events");
                Assert.InRange(long.Parse(count.Rows[0][0]!), 0, 20_000);
                Interlocked.Increment(ref queries);
            }
        })).ToArray();

        Stores.AddAll(store, Enumerable.Range(0, 20_000).Select(i => Stores.FileEvent(now, "/c/" + i)));
        await store.FlushAsync();
        // On a loaded machine the readers' first query can take longer than the whole ingest: let each reader finish
        // at least one before stopping them (bounded, so a hung query still fails the test below).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref queries) < readers.Length && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        stop.Cancel();
        await Task.WhenAll(readers);

        Assert.True(queries > 0);
        var all = await store.QueryAsync("ebpf_file_events", [], ["eid"]);
        Assert.Equal(20_000, all.Count);
        Assert.Equal(20_000, all.Select(r => r["eid"]).Distinct().Count());
        Assert.Equal(0, store.GetCounters("ebpf_file_events").Dropped);
    }
}
