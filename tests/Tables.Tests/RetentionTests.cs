using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

public sealed class RetentionTests
{
    [Fact]
    public async Task RowCountIsBoundedAndTheOldestGoFirst()
    {
        await using var store = EventStore.Open(Stores.Memory(o => { o.MaxRowsPerTable = 100; o.BatchSize = 64; o.RetentionChunkRows = 30; }), ProbeCatalog.Tables);
        var now = Stores.Now;
        Stores.AddAll(store, Enumerable.Range(0, 250).Select(i => Stores.FileEvent(now, "/f/" + i)));
        await store.FlushAsync();

        var rows = await store.QueryAsync("ebpf_file_events", [], ["eid", "path"]);
        Assert.Equal(100, rows.Count);
        Assert.Equal(Enumerable.Range(150, 100).Select(i => "/f/" + i), rows.OrderBy(r => long.Parse(r["eid"])).Select(r => r["path"]));
        var counters = store.GetCounters("ebpf_file_events");
        Assert.Equal(100, counters.Rows);
        Assert.Equal(250, counters.Written);
        Assert.Equal(250, counters.Received);
        Assert.Equal(0, counters.Dropped);
    }

    [Fact]
    public async Task AFloodOverTheRowLimitPushesOutItsOwnUsersRowsFirst()
    {
        await using var store = EventStore.Open(Stores.Memory(o => { o.MaxRowsPerTable = 100; o.BatchSize = 64; o.RetentionChunkRows = 30; }), ProbeCatalog.Tables);
        var now = Stores.Now;
        // Root's events come first (the oldest), then another user floods the table far past its limit.
        var quiet = Enumerable.Range(0, 20).Select(i => Stores.FileEvent(now, "/quiet/" + i)).ToList();
        foreach (var e in quiet)
            e.Uid = 0;
        Stores.AddAll(store, quiet);
        var flood = Enumerable.Range(0, 500).Select(i => Stores.FileEvent(now, "/flood/" + i)).ToList();
        foreach (var e in flood)
            e.Uid = 65534;
        Stores.AddAll(store, flood);
        await store.FlushAsync();

        var rows = await store.QueryAsync("ebpf_file_events", [], ["eid", "path", "uid"]);
        Assert.Equal(100, rows.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => "/quiet/" + i), rows.Where(r => r["uid"] == "0").OrderBy(r => long.Parse(r["eid"])).Select(r => r["path"]));
        // The flood keeps its newest rows.
        Assert.Equal(Enumerable.Range(420, 80).Select(i => "/flood/" + i), rows.Where(r => r["uid"] == "65534").OrderBy(r => long.Parse(r["eid"])).Select(r => r["path"]));
    }

    [Fact]
    public async Task RowsOlderThanTheMaximumAgeAreDeleted()
    {
        await using var store = EventStore.Open(Stores.Memory(o => o.MaxAgeSeconds = 3600), ProbeCatalog.Tables);
        var now = Stores.Now;
        Stores.AddAll(store, new[]
        {
            Stores.FileEvent(now - 7200, "/old/1"), Stores.FileEvent(now - 3700, "/old/2"),
            Stores.FileEvent(now - 60, "/new/1"), Stores.FileEvent(now, "/new/2"),
        });
        await store.FlushAsync();

        var rows = await store.QueryAsync("ebpf_file_events", [], ["path"]);
        Assert.Equal(new[] { "/new/1", "/new/2" }, rows.Select(r => r["path"]).Order());
        Assert.Equal(now - 60, store.GetCounters("ebpf_file_events").OldestTime);
    }

    [Fact]
    public async Task RowsExpireAsTheClockMovesOn()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var store = EventStore.Open(Stores.Memory(o => { o.MaxAgeSeconds = 600; o.TimeProvider = clock; o.IdleInterval = TimeSpan.FromMilliseconds(20); }), ProbeCatalog.Tables);
        var now = clock.Now.ToUnixTimeSeconds();
        Stores.AddAll(store, Enumerable.Range(0, 10).Select(i => Stores.FileEvent(now - i * 100, "/f/" + i)));
        await store.FlushAsync();
        // Ages are 0, 100, ..., 900 s: the three beyond 600 s are gone at once.
        Assert.Equal(7, store.GetCounters("ebpf_file_events").Rows);

        clock.Advance(TimeSpan.FromSeconds(350)); // now rows of age <= 250 s before the move survive: i = 0, 1, 2
        await store.FlushAsync();
        var rows = await store.QueryAsync("ebpf_file_events", [], ["path"]);
        Assert.Equal(new[] { "/f/0", "/f/1", "/f/2" }, rows.Select(r => r["path"]).Order());
        Assert.Equal(3, store.GetCounters("ebpf_file_events").Rows);
    }

    [Fact]
    public async Task RetentionOfALargeBacklogHappensInChunks()
    {
        await using var store = EventStore.Open(Stores.Memory(o => { o.MaxRowsPerTable = 1000; o.RetentionChunkRows = 100; }), ProbeCatalog.Tables);
        using (await store.PauseWriterAsync())
        {
            // nothing: just proves the writer can be held and released
        }
        Stores.AddAll(store, Enumerable.Range(0, 5000).Select(i => Stores.FileEvent(Stores.Now, "/f/" + i)));
        await store.FlushAsync();
        Assert.Equal(1000, store.GetCounters("ebpf_file_events").Rows);
        var rows = await store.QueryAsync("ebpf_file_events", [new ColumnConstraint("path", ConstraintOperator.Equals, "/f/4999")], ["path"]);
        Assert.Single(rows);
    }
}
