using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using OsqueryBpf.Tables;
using Xunit;

namespace OsqueryBpf.Host.Tests;

public sealed class StoreTableTests
{
    [Fact]
    public async Task RoutesFollowTheSchemaAndGeneratePushesConstraintsDown()
    {
        await using var store = EventStore.Open(new StoreOptions { DatabasePath = StoreOptions.InMemory }, ProbeCatalog.Tables);
        var tables = TableCatalog.Create(store, eventBased: false);
        Assert.Equal(ProbeCatalog.Tables.Select(t => t.Name).Append("ebpf_probes"), tables.Select(t => t.Name));

        var file = tables.Single(t => t.Name == "ebpf_file_events");
        var time = file.Columns.Single(c => c.Name == "time");
        Assert.Equal(OsqueryBpf.Osquery.Tables.ColumnType.BigInt, time.Type);
        Assert.Equal(5, (int)time.Options); // INDEX | ADDITIONAL
        Assert.Equal(17, (int)file.Columns.Single(c => c.Name == "eid").Options); // INDEX | HIDDEN: still gets constraints
        Assert.Equal(TableAttributes.None, file.Attributes);
        Assert.Equal(TableAttributes.EventBased, TableCatalog.Create(store, eventBased: true).Single(t => t.Name == "ebpf_file_events").Attributes);

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds(); // older events would be expired by retention
        for (int i = 0; i < 10; i++)
            Assert.True(store.TryAdd(new FileEvent { Pid = 100 + i, Time = now, Action = "create", Path = $"/tmp/f{i}" }));
        await store.FlushAsync();

        var context = QueryContext.Parse("""
            {"constraints":[{"name":"pid","list":[{"op":32,"expr":"105"},{"op":68,"expr":"107"}],"affinity":"BIGINT"},
                            {"name":"path","list":[{"op":65,"expr":"/tmp/f%"}],"affinity":"TEXT"}],
             "colsUsed":["pid","path"]}
            """, file.Columns);
        var reply = new TableRows();
        await file.GenerateAsync(context, reply, CancellationToken.None);
        var rows = reply.ToDictionaries();
        // pid >= 105 is pushed down; != (68) is left to osqueryd, which re-applies every term.
        Assert.Equal(["105", "106", "107", "108", "109"], rows.Select(r => r["pid"]));
        Assert.All(rows, r => Assert.Equal(["path", "pid"], r.Keys.Order()));
    }
}
