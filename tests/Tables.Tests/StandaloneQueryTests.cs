using OsqueryBpf.Probes;
using OsqueryBpf.Tables.Standalone;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

public sealed class StandaloneQueryTests
{
    public static TheoryData<string> Writes => new()
    {
        "DELETE FROM ebpf_file_events",
        "INSERT INTO ebpf_file_events (eid, time) VALUES (1, 1)",
        "UPDATE ebpf_file_events SET path = 'x'",
        "DROP TABLE ebpf_file_events",
        "CREATE TABLE t (a)",
        "ATTACH DATABASE '/tmp/standalone-attack.db' AS other",
        "PRAGMA journal_mode=DELETE",
        "PRAGMA user_version = 7",
        "SELECT 1; DELETE FROM ebpf_file_events",
        "VACUUM",
        "BEGIN IMMEDIATE",
    };

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task WritesAreRefusedInMemory(string sql)
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        await AssertRefusedAndUnchanged(store, sql);
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task WritesAreRefusedOnDisk(string sql)
    {
        using var folder = new TempFolder();
        await using var store = EventStore.Open(Stores.OnDisk(folder.File("events.db")), ProbeCatalog.Tables);
        await AssertRefusedAndUnchanged(store, sql);
    }

    [Fact]
    public async Task ReadsWorkAndFormatLikeOsqueryi()
    {
        await using var store = EventStore.Open(Stores.Memory(o => o.MaxAgeSeconds = 100L * 365 * 86400), ProbeCatalog.Tables); // fixed, old times
        Stores.AddAll(store, new[] { Stores.FileEvent(1700000000, "/a", 10), Stores.FileEvent(1700000001, "/longer/path", 200) });
        await store.FlushAsync();
        using var query = store.OpenStandaloneQuery();

        var result = await query.RunAsync("SELECT pid, path, NULL AS empty FROM ebpf_file_events ORDER BY pid");
        Assert.Equal(new[] { "pid", "path", "empty" }, result.Columns);
        Assert.Equal(2, result.Rows.Count);

        Assert.Equal(
            "+-----+--------------+-------+\n" +
            "| pid | path         | empty |\n" +
            "+-----+--------------+-------+\n" +
            "| 10  | /a           |       |\n" +
            "| 200 | /longer/path |       |\n" +
            "+-----+--------------+-------+\n",
            ResultFormatter.AlignedTable(result));
        Assert.Equal(
            "{\"pid\":\"10\",\"path\":\"/a\",\"empty\":null}\n" +
            "{\"pid\":\"200\",\"path\":\"/longer/path\",\"empty\":null}\n",
            ResultFormatter.JsonLines(result));

        var joined = await query.RunAsync(
            "WITH recent AS (SELECT * FROM ebpf_file_events WHERE time > 1600000000) SELECT count(*) AS n, max(length(path)) AS l FROM recent");
        Assert.Equal(new[] { "2", "12" }, joined.Rows.Single());
        var info = await query.RunAsync("PRAGMA table_info(ebpf_probes)");
        Assert.Contains(info.Rows, r => r[1] == "oldest_time");
    }

    [Fact]
    public async Task AnEmptyResultPrintsTheHeaderOnly()
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        using var query = store.OpenStandaloneQuery();
        var result = await query.RunAsync("SELECT name, status FROM ebpf_probes");
        Assert.Equal("+------+--------+\n| name | status |\n+------+--------+\n", ResultFormatter.AlignedTable(result));
        Assert.Equal("", ResultFormatter.JsonLines(result));
    }

    [Fact]
    public async Task ValuesWithLineBreaksStayOnOneLineAndJsonIsExact()
    {
        var result = new QueryResult(new[] { "v" }, new[] { new string?[] { "a\nb\t\"c\"" } });
        Assert.Equal("| a\\nb\\t\"c\" |", ResultFormatter.AlignedTable(result).Split('\n')[3]);
        Assert.Equal("{\"v\":\"a\\nb\\t\\\"c\\\"\"}\n", ResultFormatter.JsonLines(result));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task BadSqlIsAClearError()
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        using var query = store.OpenStandaloneQuery();
        var error = await Assert.ThrowsAsync<StandaloneQueryException>(() => query.RunAsync("SELECT * FROM no_such_table"));
        Assert.Contains("no such table", error.Message);
    }

    [Fact]
    public async Task AnotherProcessCanReadTheFileWhileTheStoreWrites()
    {
        using var folder = new TempFolder();
        var path = folder.File("events.db");
        await using var store = EventStore.Open(Stores.OnDisk(path), ProbeCatalog.Tables);
        Stores.AddAll(store, Enumerable.Range(0, 100).Select(i => Stores.FileEvent(Stores.Now)));
        await store.FlushAsync();
        using var query = StandaloneQuery.OpenFile(path);
        Assert.Equal("100", (await query.RunAsync("SELECT count(*) FROM ebpf_file_events")).Rows.Single()[0]);
        Stores.AddAll(store, Enumerable.Range(0, 50).Select(i => Stores.FileEvent(Stores.Now)));
        await store.FlushAsync();
        Assert.Equal("150", (await query.RunAsync("SELECT count(*) FROM ebpf_file_events")).Rows.Single()[0]);
        Assert.Throws<StandaloneQueryException>(() => StandaloneQuery.OpenFile(folder.File("missing.db")));
    }

    private static async Task AssertRefusedAndUnchanged(EventStore store, string sql)
    {
        Stores.AddAll(store, Enumerable.Range(0, 3).Select(i => Stores.FileEvent(Stores.Now, "/keep")));
        await store.FlushAsync();
        using (var query = store.OpenStandaloneQuery())
        {
            var error = await Assert.ThrowsAsync<StandaloneQueryException>(() => query.RunAsync(sql));
            Assert.Contains("reading", error.Message);
        }
        Assert.False(File.Exists("/tmp/standalone-attack.db"));
        var rows = await store.QueryAsync("ebpf_file_events", [], ["path"]);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal("/keep", r["path"]));
        // The store itself still writes after the refused statement.
        Stores.AddAll(store, new[] { Stores.FileEvent(Stores.Now, "/after") });
        await store.FlushAsync();
        Assert.Equal(4, store.GetCounters("ebpf_file_events").Rows);
    }
}
