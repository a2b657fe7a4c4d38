using OsqueryBpf.Probes;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

public sealed class CorruptionTests
{
    [Fact]
    public async Task AFileOfGarbageIsMovedAsideAndAFreshStoreStarts()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        var garbage = new byte[64 * 1024];
        new Random(7).NextBytes(garbage);
        await File.WriteAllBytesAsync(path, garbage);
        var log = new LogLines();

        await using (var store = EventStore.Open(Stores.OnDisk(path, o => o.Log = log.Add), ProbeCatalog.Tables))
        {
            Stores.AddAll(store, Enumerable.Range(0, 10).Select(_ => Stores.FileEvent(Stores.Now)));
            await store.FlushAsync();
            Assert.Equal(10, (await store.QueryAsync("ebpf_file_events", [], ["eid"])).Count);
        }

        var moved = Assert.Single(Directory.GetFiles(folder.Path, "events.db.corrupt-*"));
        Assert.Equal(garbage, await File.ReadAllBytesAsync(moved));
        var lines = log.Lines.Except(log.Lines.Where(l => l.Contains("tightened it to"))).ToList(); // the garbage file was 0644
        var line = Assert.Single(lines);
        Assert.Contains("damaged", line);
        Assert.Contains(Path.GetFileName(moved), line);
    }

    [Fact]
    public async Task ATruncatedDatabaseIsMovedAsideAndAFreshStoreStarts()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        await using (var store = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables))
        {
            Stores.AddAll(store, Enumerable.Range(0, 20_000).Select(i => Stores.FileEvent(Stores.Now, "/some/path/" + i)));
            await store.FlushAsync();
        }
        Assert.False(File.Exists(path + "-wal") && new FileInfo(path + "-wal").Length > 0, "the WAL should be checkpointed on close");
        var length = new FileInfo(path).Length;
        Assert.True(length > 100_000, $"database only {length} bytes");
        await using (var stream = new FileStream(path, FileMode.Open))
            stream.SetLength(length / 2);

        var log = new LogLines();
        await using (var store = EventStore.Open(Stores.OnDisk(path, o => o.Log = log.Add), ProbeCatalog.Tables))
        {
            Assert.Equal(0, store.GetCounters("ebpf_file_events").Rows);
            Stores.AddAll(store, Enumerable.Range(0, 5).Select(_ => Stores.FileEvent(Stores.Now)));
            await store.FlushAsync();
            Assert.Equal(5, (await store.QueryAsync("ebpf_file_events", [], [])).Count);
        }
        Assert.Single(Directory.GetFiles(folder.Path, "events.db.corrupt-*"));
        Assert.Contains(log.Lines, l => l.Contains("damaged"));

        // And it stays healthy: the next start finds a sound database and moves nothing.
        var again = new LogLines();
        await using (var store = EventStore.Open(Stores.OnDisk(path, o => o.Log = again.Add), ProbeCatalog.Tables))
            Assert.Equal(5, store.GetCounters("ebpf_file_events").Rows);
        Assert.Empty(again.Lines);
        Assert.Single(Directory.GetFiles(folder.Path, "events.db.corrupt-*"));
    }

    [Fact]
    public async Task AMissingFolderIsCreated()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "a", "b", "events.db");
        await using var store = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void AFolderThatCannotBeCreatedIsAClearError()
    {
        using var folder = new TempFolder();
        var blocker = folder.File("not-a-folder");
        File.WriteAllText(blocker, "x");
        var error = Assert.Throws<IOException>(() => EventStore.Open(Stores.OnDisk(Path.Combine(blocker, "events.db")), ProbeCatalog.Tables));
        Assert.Contains("cannot be created", error.Message);
    }

    [Fact]
    public async Task AChangedTableSchemaIsRecreatedAndEidsKeepIncreasing()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        long highest;
        await using (var store = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables))
        {
            Stores.AddAll(store, Enumerable.Range(0, 3).Select(_ => Stores.FileEvent(Stores.Now)));
            await store.FlushAsync();
            highest = (await store.QueryAsync("ebpf_file_events", [], ["eid"])).Max(r => long.Parse(r["eid"]));
        }
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var alter = connection.CreateCommand();
            alter.CommandText = "ALTER TABLE ebpf_file_events ADD COLUMN from_an_older_version TEXT";
            alter.ExecuteNonQuery();
        }
        var log = new LogLines();
        await using (var store = EventStore.Open(Stores.OnDisk(path, o => o.Log = log.Add), ProbeCatalog.Tables))
        {
            Assert.Contains(log.Lines, l => l.Contains("ebpf_file_events") && l.Contains("3 buffered rows"));
            Stores.AddAll(store, new[] { Stores.FileEvent(Stores.Now) });
            await store.FlushAsync();
            var eid = long.Parse(Assert.Single(await store.QueryAsync("ebpf_file_events", [], ["eid"]))["eid"]);
            Assert.True(eid > highest);
        }
    }
}

public sealed class RuntimeDamageTests
{
    [Fact]
    public async Task DamageFoundWhileRunningReplacesTheDatabaseAndEidsKeepIncreasing()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        var log = new LogLines();
        await using var store = EventStore.Open(Stores.OnDisk(path, o => o.Log = log.Add), ProbeCatalog.Tables);
        Stores.AddAll(store, Enumerable.Range(0, 10).Select(_ => Stores.FileEvent(Stores.Now)));
        await store.FlushAsync();
        var before = (await store.QueryAsync("ebpf_file_events", [], ["eid"])).Max(r => long.Parse(r["eid"]));

        store.InjectWriterFailure(new Microsoft.Data.Sqlite.SqliteException("database disk image is malformed", 11));
        await store.FlushAsync();
        Assert.Single(Directory.GetFiles(folder.Path, "events.db.corrupt-*"), f => !f.EndsWith("-wal")); // its WAL moves along
        Assert.Contains(log.Lines, l => l.Contains("damaged"));
        Assert.Equal(0, store.GetCounters("ebpf_file_events").Rows);

        Stores.AddAll(store, Enumerable.Range(0, 3).Select(_ => Stores.FileEvent(Stores.Now)));
        await store.FlushAsync();
        var after = (await store.QueryAsync("ebpf_file_events", [], ["eid"])).Select(r => long.Parse(r["eid"])).ToList();
        Assert.Equal(3, after.Count);
        Assert.All(after, eid => Assert.True(eid > before));
    }

    [Fact]
    public async Task AnOrdinaryWriteFailureIsLoggedAndTheStoreGoesOn()
    {
        var log = new LogLines();
        await using var store = EventStore.Open(Stores.Memory(o => o.Log = log.Add), ProbeCatalog.Tables);
        store.InjectWriterFailure(new Microsoft.Data.Sqlite.SqliteException("database or disk is full", 13));
        await store.FlushAsync();
        Assert.Contains(log.Lines, l => l.Contains("disk is full"));
        Stores.AddAll(store, new[] { Stores.FileEvent(Stores.Now) });
        await store.FlushAsync();
        Assert.Equal(1, store.GetCounters("ebpf_file_events").Written);
    }
}
