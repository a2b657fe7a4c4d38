using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

/// <summary>
/// A database on a file system that is really full (a 1 MiB tmpfs): every lost event is counted, ebpf_probes still
/// answers with the live numbers, the failure is logged once at WARN with SQLite's cause, and when space comes back
/// the store writes again and says what was lost meanwhile.
/// </summary>
public sealed class FullDiskTests
{
    [SkippableFact]
    public async Task AFullDiskIsCountedAnsweredLoggedAtWarnAndSurvived()
    {
        using var disk = TmpfsMount.Create(sizeKiB: 1024);
        var info = new LogLines();
        var warnings = new LogLines();
        await using var store = EventStore.Open(Stores.OnDisk(disk.File("events.db"), o =>
        {
            o.Log = info.Add;
            o.LogWarning = warnings.Add;
            o.BatchSize = 256;
        }), ProbeCatalog.Tables);
        store.ReplaceProbeStatus([new ProbeStatus { Name = "file", Table = "ebpf_file_events", Status = "running" }]);

        var path = "/some/rather/long/path/to/make/rows/bigger/" + new string('p', 200);
        long offered = 0;
        while (store.GetCounters("ebpf_file_events").Dropped == 0 && offered < 200_000)
        {
            Stores.AddAll(store, Enumerable.Range(0, 500).Select(_ => Stores.FileEvent(Stores.Now, path)));
            offered += 500;
            await store.FlushAsync();
        }
        var counters = store.GetCounters("ebpf_file_events");
        Assert.True(counters.Dropped > 0, $"the disk never filled after {offered} events");
        Assert.Equal(offered, counters.Written + counters.Dropped);

        // Keep going while full: more drops, all counted, and no flood of log lines.
        for (var i = 0; i < 10; i++)
        {
            Stores.AddAll(store, Enumerable.Range(0, 500).Select(_ => Stores.FileEvent(Stores.Now, path)));
            offered += 500;
            await store.FlushAsync();
        }
        var full = store.GetCounters("ebpf_file_events");
        Assert.Equal(offered, full.Written + full.Dropped);
        Assert.True(full.Dropped > counters.Dropped);

        // ebpf_probes comes from memory: it answers while the database cannot be written, with the live row count.
        var probe = Assert.Single(await store.QueryAsync("ebpf_probes", [], null));
        Assert.Equal(full.Rows.ToString(), probe["rows"]);
        Assert.Equal("running", probe["status"]);

        var failures = warnings.Lines.Where(l => l.Contains("counted as dropped")).ToList();
        Assert.Single(failures); // the first failure at once, then at most one line a minute
        Assert.Contains("full", failures[0]);
        Assert.DoesNotContain(info.Lines, l => l.Contains("full")); // not at INFO

        // Space comes back: writes resume, and the store says so at WARN with what was lost.
        disk.Resize(sizeKiB: 16 * 1024);
        await Task.Delay(1200); // writes must work for a second before the episode counts as over
        Stores.AddAll(store, Enumerable.Range(0, 100).Select(_ => Stores.FileEvent(Stores.Now, "/after")));
        await store.FlushAsync();
        var after = store.GetCounters("ebpf_file_events");
        Assert.Equal(full.Dropped, after.Dropped);
        Assert.Equal(full.Written + 100, after.Written);
        Assert.Contains(warnings.Lines, l => l.Contains("writes again") && l.Contains($"({full.Dropped} events)"));
        Assert.Equal(100, (await store.QueryAsync("ebpf_file_events", [new ColumnConstraint("path", (ConstraintOperator)2, "/after")], ["eid"])).Count);
    }
}
