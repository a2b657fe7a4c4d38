using Microsoft.Data.Sqlite;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

/// <summary>
/// One database, one writer: a second writer is refused with a clear error, a read-only view reads what the writer
/// stores, and a writer whose batch failed takes its next eids from the database instead of failing again and again.
/// </summary>
public sealed class OneWriterTests
{
    [Fact]
    public async Task ASecondWriterIsRefusedAndNamesTheHolder()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        await using (var first = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables))
        {
            var error = Assert.Throws<StoreInUseException>(() => EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables));
            Assert.Equal(Environment.ProcessId, error.HolderPid);
            Assert.Contains("in use by process " + Environment.ProcessId, error.Message);
            Assert.Contains("events.db.lock", error.Message);
            Assert.Contains("one writer", error.Message);

            // The refused writer changed nothing: the first one still writes.
            Stores.AddAll(first, [Stores.FileEvent(Stores.Now)]);
            await first.FlushAsync();
            Assert.Single(await first.QueryAsync("ebpf_file_events", [], ["eid"]));
        }
        // Closing the writer frees the database for the next one.
        await using var second = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables);
        Assert.Single(await second.QueryAsync("ebpf_file_events", [], ["eid"]));
    }

    [Fact]
    public async Task AReadOnlyViewReadsWhatTheWriterStoresAndWritesNothing()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        await using var writer = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables);
        writer.ReplaceProbeStatus([new ProbeStatus { Name = "file", Table = "ebpf_file_events", Status = "running", Drops = 3 }]);
        Stores.AddAll(writer, Enumerable.Range(0, 5).Select(i => Stores.FileEvent(Stores.Now, "/ro/" + i)));
        await writer.FlushAsync();

        await using var view = EventStore.Open(Stores.OnDisk(path, o => o.ReadOnly = true), ProbeCatalog.Tables);
        Assert.True(view.IsReadOnly);
        Assert.Equal(5, (await view.QueryAsync("ebpf_file_events", [new ColumnConstraint("path", ConstraintOperator.Like, "/ro/%")], ["path"])).Count);
        var probe = Assert.Single(await view.QueryAsync("ebpf_probes", [], null));
        Assert.Equal("file", probe["name"]);
        Assert.Equal("3", probe["drops"]);

        Assert.False(view.TryAdd(Stores.FileEvent(Stores.Now)));
        await view.FlushAsync(); // completes at once: there is no writer
        Stores.AddAll(writer, [Stores.FileEvent(Stores.Now, "/ro/late")]);
        await writer.FlushAsync();
        Assert.Equal(6, (await view.QueryAsync("ebpf_file_events", [new ColumnConstraint("path", ConstraintOperator.Like, "/ro/%")], ["path"])).Count);
        // The view holds no lock: a second writer is still refused because of the first one only.
        Assert.Throws<StoreInUseException>(() => EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables));
    }

    [Fact]
    public void AReadOnlyViewOfNothingIsAClearError()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<IOException>(() => EventStore.Open(Stores.OnDisk(folder.File("none.db"), o => o.ReadOnly = true), ProbeCatalog.Tables));
        Assert.Contains("no event store", error.Message);
        Assert.Throws<ArgumentException>(() => EventStore.Open(Stores.Memory(o => o.ReadOnly = true), ProbeCatalog.Tables));
    }

    [Fact]
    public async Task AfterAFailedWriteTheNextEidsComeFromTheDatabase()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        var log = new LogLines();
        await using var store = EventStore.Open(Stores.OnDisk(path, o => { o.Log = log.Add; o.LogWarning = l => log.Add("WARN " + l); }), ProbeCatalog.Tables);
        Stores.AddAll(store, Enumerable.Range(0, 10).Select(i => Stores.FileEvent(Stores.Now, "/mine/" + i)));
        await store.FlushAsync();

        // Something else (an older version without the lock, a hand-made copy) writes rows with the eids this
        // writer would use next. Before the fix the writer failed every later batch on the same eid for ever.
        using (var intruder = new SqliteConnection($"Data Source={path}"))
        {
            intruder.Open();
            using var command = intruder.CreateCommand();
            command.CommandText = """
                CREATE TEMP TABLE copy AS SELECT * FROM ebpf_file_events;
                UPDATE copy SET eid = eid + 10, path = '/intruder';
                INSERT INTO ebpf_file_events SELECT * FROM copy;
                """;
            command.ExecuteNonQuery();
        }

        // One batch fails on the taken eid and is counted as dropped; the next takes eids after the intruder's.
        var droppedBefore = store.GetCounters("ebpf_file_events").Dropped;
        Stores.AddAll(store, [Stores.FileEvent(Stores.Now, "/mine/failed")]);
        await store.FlushAsync();
        Assert.Equal(droppedBefore + 1, store.GetCounters("ebpf_file_events").Dropped);
        await Task.Delay(1100); // the end of a failure episode is reported once writes have worked for a second
        for (var i = 0; i < 20; i++)
        {
            Stores.AddAll(store, [Stores.FileEvent(Stores.Now, "/mine/after/" + i)]);
            await store.FlushAsync();
        }
        Assert.Equal(droppedBefore + 1, store.GetCounters("ebpf_file_events").Dropped);

        var rows = await store.QueryAsync("ebpf_file_events", [], ["eid", "path"]);
        Assert.Equal(10 + 10 + 20, rows.Count);
        var eids = rows.Select(r => long.Parse(r["eid"])).ToList();
        Assert.Equal(eids.Count, eids.Distinct().Count());
        var intruderMax = rows.Where(r => r["path"] == "/intruder").Max(r => long.Parse(r["eid"]));
        Assert.All(rows.Where(r => r["path"].StartsWith("/mine/after/", StringComparison.Ordinal)), r => Assert.True(long.Parse(r["eid"]) > intruderMax));
        Assert.Contains(log.Lines, l => l.StartsWith("WARN ", StringComparison.Ordinal) && l.Contains("UNIQUE constraint failed"));
        Assert.Contains(log.Lines, l => l.StartsWith("WARN ", StringComparison.Ordinal) && l.Contains("writes again") && l.Contains("1 batches (1 events)"));
    }
}
