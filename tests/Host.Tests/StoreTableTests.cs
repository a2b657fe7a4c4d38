using OsqueryBpf.Containers.Attribution;
using OsqueryBpf.Containers.Cgroups;
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
        var tables = TableCatalog.Create(store, eventBased: false, new ContainerMap(walk: () => null));
        Assert.Equal(ProbeCatalog.Tables.Select(t => t.Name).Append("ebpf_probes").Append("ebpf_containers"), tables.Select(t => t.Name));

        var file = tables.Single(t => t.Name == "ebpf_file_events");
        var time = file.Columns.Single(c => c.Name == "time");
        Assert.Equal(OsqueryBpf.Osquery.Tables.ColumnType.BigInt, time.Type);
        Assert.Equal(5, (int)time.Options); // INDEX | ADDITIONAL
        Assert.Equal(17, (int)file.Columns.Single(c => c.Name == "eid").Options); // INDEX | HIDDEN: still gets constraints
        Assert.Equal(TableAttributes.None, file.Attributes);
        Assert.Equal(TableAttributes.EventBased, TableCatalog.Create(store, eventBased: true, new ContainerMap(walk: () => null)).Single(t => t.Name == "ebpf_file_events").Attributes);

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

    [Fact]
    public async Task EbpfContainersListsTheMapsContainersButNotTheHostOrNestedCgroups()
    {
        var map = new ContainerMap(new ContainerStateFiles { DockerDataRoot = "/nonexistent" }, walk: () => null);
        string id = new string('c', 64);
        map.Seed([new CgroupEntry(1, "/", 0, 0), new CgroupEntry(2, "/docker", 0, 1), new CgroupEntry(3, $"/docker/{id}", 0, 2),
            new CgroupEntry(4, $"/docker/{id}/init.scope", 0, 3), new CgroupEntry(5, $"/user.slice/user-1000.slice/user@1000.service/libpod-{id}.scope", 1000, 4)]);
        map.Apply(new CgroupEvent(CgroupRecordKind.Rmdir, 9, 3, 0, 2, $"/docker/{id}", false, 0, 1, 1, 0, 0, "runc", 1, 1, 0, 0, 0, false));
        var table = new ContainersTable(map);
        var reply = new TableRows();
        await table.GenerateAsync(QueryContext.Parse("{}", table.Columns), reply, CancellationToken.None);
        var rows = reply.ToDictionaries();
        Assert.Equal([id, $"1000/{id}"], rows.Select(r => r["container_id"]));
        Assert.Equal(("docker", "3", "", "1"), (rows[0]["runtime"], rows[0]["cgroup_id"], rows[0]["rootless_owner_uid"], rows[0]["removed"]));
        Assert.Equal(("podman", "1000", "0"), (rows[1]["runtime"], rows[1]["rootless_owner_uid"], rows[1]["removed"]));
        Assert.Equal(table.Columns.Select(c => c.Name).Order(), rows[0].Keys.Order());
    }
}
