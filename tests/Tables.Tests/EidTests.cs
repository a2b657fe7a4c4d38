using Microsoft.Data.Sqlite;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

public sealed class EidTests
{
    [Fact]
    public async Task EidsIncreaseAcrossARestartAndBufferedRowsSurvive()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        List<long> first;
        await using (var store = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables))
        {
            Stores.AddAll(store, Enumerable.Range(0, 50).Select(i => Stores.FileEvent(Stores.Now, "/a/" + i)));
            await store.FlushAsync();
            first = await Eids(store);
        }
        await using (var store = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables))
        {
            Assert.Equal(50, store.GetCounters("ebpf_file_events").Rows);
            Stores.AddAll(store, Enumerable.Range(0, 50).Select(i => Stores.FileEvent(Stores.Now, "/b/" + i)));
            await store.FlushAsync();
            var all = await Eids(store);
            Assert.Equal(100, all.Count);
            Assert.Equal(first, all.Take(50));
            AssertStrictlyIncreasing(all);
        }
    }

    [Fact]
    public async Task EidsAreNotReusedAfterTheNewestRowsWereDeleted()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        long highest;
        await using (var store = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables))
        {
            Stores.AddAll(store, Enumerable.Range(0, 20).Select(i => Stores.FileEvent(Stores.Now)));
            await store.FlushAsync();
            highest = (await Eids(store)).Max();
        }
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM ebpf_file_events WHERE eid > (SELECT max(eid) - 10 FROM ebpf_file_events)";
            Assert.Equal(10, delete.ExecuteNonQuery());
        }
        await using (var store = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables))
        {
            Stores.AddAll(store, Enumerable.Range(0, 5).Select(i => Stores.FileEvent(Stores.Now, "/new")));
            await store.FlushAsync();
            var rows = await store.QueryAsync("ebpf_file_events", [new ColumnConstraint("path", (ConstraintOperator)2, "/new")], ["eid"]);
            Assert.Equal(5, rows.Count);
            Assert.All(rows, r => Assert.True(long.Parse(r["eid"]) > highest));
        }
    }

    [Fact]
    public async Task EidsAreNotReusedAfterRetentionEmptiedTheTable()
    {
        await using var store = EventStore.Open(Stores.Memory(o => o.MaxAgeSeconds = 60), ProbeCatalog.Tables);
        Stores.AddAll(store, Enumerable.Range(0, 10).Select(i => Stores.FileEvent(Stores.Now)));
        await store.FlushAsync();
        var before = (await Eids(store)).Max();
        Stores.AddAll(store, Enumerable.Range(0, 10).Select(i => Stores.FileEvent(Stores.Now - 3600)));
        await store.FlushAsync();
        Stores.AddAll(store, Enumerable.Range(0, 3).Select(i => Stores.FileEvent(Stores.Now)));
        await store.FlushAsync();
        var after = await Eids(store);
        Assert.Equal(13, after.Count);
        Assert.All(after.Skip(10), eid => Assert.True(eid > before + 10));
        AssertStrictlyIncreasing(after);
    }

    [Fact]
    public async Task EachTableCountsItsOwnEids()
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        Stores.AddAll(store, new Events.Event[]
        {
            Stores.FileEvent(Stores.Now), new ProcessEvent { Time = Stores.Now }, Stores.FileEvent(Stores.Now),
            new ProcessEvent { Time = Stores.Now }, new DnsEvent { Time = Stores.Now }, new SocketEvent { Time = Stores.Now },
        });
        await store.FlushAsync();
        foreach (var table in new[] { "ebpf_file_events", "ebpf_process_events" })
        {
            var eids = (await store.QueryAsync(table, [], ["eid"])).Select(r => long.Parse(r["eid"])).Order().ToList();
            Assert.Equal(2, eids.Count);
            Assert.Equal(eids[0] + 1, eids[1]);
        }
        Assert.Single(await store.QueryAsync("ebpf_dns_events", [], null));
        Assert.Single(await store.QueryAsync("ebpf_socket_events", [], null));
    }

    private static async Task<List<long>> Eids(EventStore store) =>
        (await store.QueryAsync("ebpf_file_events", [], ["eid"])).Select(r => long.Parse(r["eid"])).Order().ToList();

    private static void AssertStrictlyIncreasing(List<long> eids)
    {
        for (var i = 1; i < eids.Count; i++)
            Assert.True(eids[i] > eids[i - 1], $"eid {eids[i]} follows {eids[i - 1]}");
    }
}
