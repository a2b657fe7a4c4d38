using OsqueryBpf.Containers.Attribution;
using OsqueryBpf.Containers.Cgroups;
using Xunit;

namespace OsqueryBpf.Containers.Tests.Attribution;

/// <summary>The container map from cgroup records and walks alone (the kernel side is in Runtimes/ and Kernel/).</summary>
public sealed class ContainerMapTests : IDisposable
{
    private static readonly string Id = new string('a', 60) + "1234";
    private static readonly string Other = new string('b', 60) + "5678";
    private readonly string _docker = Directory.CreateTempSubdirectory("osqbpf-map-").FullName;

    public void Dispose() => Directory.Delete(_docker, recursive: true);

    private ContainerMap NewMap(Func<IReadOnlyList<CgroupEntry>?>? walk = null) =>
        new(new ContainerStateFiles { DockerDataRoot = _docker, PodmanStorageRoot = _docker, ContainerdStateRoot = _docker, CrioRunRoot = _docker },
            walk: walk ?? (() => null));

    private static CgroupEvent Record(CgroupRecordKind kind, ulong id, string path, uint owner = 0) =>
        new(kind, 1, id, 0, (uint)path.Count(c => c == '/'), path, false, owner, 1, 1, owner, owner, "runc", 1, 1, 0, 0, 0, false);

    private void WriteDockerConfig(string id, string name)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_docker, "containers", id));
        File.WriteAllText(Path.Combine(dir.FullName, "config.v2.json"),
            "{\"ID\":\"" + id + "\",\"Name\":\"/" + name + "\",\"Image\":\"sha256:" + Other + "\",\"Config\":{\"Image\":\"shop/web:1\"," +
            "\"Labels\":{\"io.kubernetes.pod.name\":\"web-0\",\"io.kubernetes.pod.namespace\":\"prod\"}}}");
    }

    [Fact]
    public void A_container_cgroup_made_before_its_row_names_the_row_and_stays_known_after_it_is_removed()
    {
        var map = NewMap();
        WriteDockerConfig(Id, "web");
        map.Apply(Record(CgroupRecordKind.Mkdir, 42, $"/docker/{Id}"));
        Assert.Equal(new ContainerAttribution(Id, "web", "web-0", "prod"), map.Attribute(42));
        map.Apply(Record(CgroupRecordKind.Rmdir, 42, $"/docker/{Id}"));
        Assert.Equal(Id, map.Attribute(42).ContainerId); // a row decoded after a short-lived container is gone
        var row = Assert.Single(map.Containers());
        Assert.Equal((Id, "docker", "web", "shop/web:1", 42UL, true), (row.ContainerId, row.Runtime, row.Name, row.Image, row.CgroupId, row.Removed));
        Assert.Equal(0, map.Unknown);
    }

    [Fact]
    public void A_row_decoded_before_its_cgroups_record_drains_the_cgroup_ring_first()
    {
        var map = NewMap();
        var pending = new Queue<CgroupEvent>([Record(CgroupRecordKind.Mkdir, 7, $"/docker/{Id}")]);
        int catchUps = 0;
        map.CatchUp = () =>
        {
            catchUps++;
            int n = pending.Count;
            while (pending.TryDequeue(out var r))
                map.Apply(r);
            return n;
        };
        Assert.Equal(Id, map.Attribute(7).ContainerId);
        Assert.Equal(1, catchUps);
        Assert.Equal(Id, map.Attribute(7).ContainerId);
        Assert.Equal(1, catchUps); // known now: no second drain

        Assert.Equal(ContainerAttribution.None, map.Attribute(8)); // never made: counted, not guessed
        Assert.Equal(1, map.Unknown);
    }

    [Fact]
    public void A_process_moving_between_cgroups_does_not_relabel_either_cgroup()
    {
        // The old cache learned a cgroup's container from /proc/PID/cgroup of the row's process, wherever that
        // process had moved since. Here each id keeps what the kernel said it is.
        var map = NewMap();
        map.Apply(Record(CgroupRecordKind.Mkdir, 10, "/user.slice/user-0.slice/session-1.scope"));
        map.Apply(Record(CgroupRecordKind.Mkdir, 11, $"/docker/{Id}"));
        map.Apply(Record(CgroupRecordKind.AttachTask, 11, $"/docker/{Id}"));
        Assert.Equal("", map.Attribute(10).ContainerId);
        Assert.Equal(Id, map.Attribute(11).ContainerId);
    }

    [Fact]
    public void A_forged_docker_scope_in_a_users_subtree_is_that_users_at_most()
    {
        var map = NewMap();
        WriteDockerConfig(Id, "real");
        string forged = $"/user.slice/user-1000.slice/user@1000.service/docker-{Id}.scope";
        map.Apply(Record(CgroupRecordKind.Mkdir, 20, forged, owner: 1000));
        var a = map.Attribute(20);
        Assert.Equal($"1000/{Id}", a.ContainerId);
        Assert.Equal("", a.Name); // root docker's state is never read for it
        // Owned by the user outside the delegated subtree: still theirs.
        map.Apply(Record(CgroupRecordKind.Mkdir, 21, $"/system.slice/docker-{Id}.scope", owner: 1000));
        Assert.Equal($"1000/{Id}", map.Attribute(21).ContainerId);
    }

    [Fact]
    public void A_cgroup_nested_in_a_container_is_that_container()
    {
        var map = NewMap();
        map.Apply(Record(CgroupRecordKind.Mkdir, 30, $"/docker/{Id}"));
        map.Apply(Record(CgroupRecordKind.Mkdir, 31, $"/docker/{Id}/init.scope"));
        Assert.Equal(Id, map.Attribute(31).ContainerId);
        Assert.Single(map.Containers()); // the nested one is not a container of its own
    }

    [Fact]
    public void Containerds_ambiguous_namespace_layout_counts_only_when_containerds_state_has_it()
    {
        var map = NewMap();
        map.Apply(Record(CgroupRecordKind.Mkdir, 40, "/default/build-cache"));
        Assert.Equal("", map.Attribute(40).ContainerId);
        Assert.Empty(map.Containers());
    }

    [Fact]
    public void The_walk_fills_cgroups_made_before_start_and_a_record_wins_over_it()
    {
        var walked = new List<CgroupEntry> { new(50, $"/docker/{Id}", 0, 2), new(51, $"/docker/{Other}", 0, 2) };
        var map = NewMap(() => walked);
        map.Apply(Record(CgroupRecordKind.Mkdir, 51, $"/user.slice/user-1000.slice/user@1000.service/docker-{Other}.scope", owner: 1000));
        map.SeedFromCgroupFs();
        Assert.Equal(Id, map.Attribute(50).ContainerId);
        Assert.Equal($"1000/{Other}", map.Attribute(51).ContainerId);
    }

    [Fact]
    public void Without_the_probe_an_unknown_id_walks_again_but_not_on_every_row()
    {
        int walks = 0;
        var walked = new List<CgroupEntry>();
        var map = NewMap(() => { walks++; return walked; });
        map.SeedFromCgroupFs();
        walked.Add(new CgroupEntry(60, $"/docker/{Id}", 0, 2));
        for (int i = 0; i < 100; i++)
            map.Attribute(60);
        Assert.True(walks <= 2, $"{walks} walks for 100 rows within the rewalk interval");
    }

    [Fact]
    public void Metadata_written_after_the_cgroup_is_read_on_a_later_row()
    {
        var time = new ManualTime();
        var map = new ContainerMap(new ContainerStateFiles { DockerDataRoot = _docker }, time, () => null);
        map.Apply(Record(CgroupRecordKind.Mkdir, 70, $"/docker/{Id}"));
        Assert.Equal(new ContainerAttribution(Id, "", "", ""), map.Attribute(70));
        WriteDockerConfig(Id, "late");
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("late", map.Attribute(70).Name);
    }

    [Fact]
    public void A_hostile_state_file_is_counted_and_the_row_keeps_its_id()
    {
        var map = NewMap();
        var dir = Directory.CreateDirectory(Path.Combine(_docker, "containers", Id));
        File.WriteAllText(Path.Combine(dir.FullName, "config.v2.json"), "{\"ID\":\"" + Other + "\",\"Name\":\"/liar\"}");
        map.Apply(Record(CgroupRecordKind.Mkdir, 80, $"/docker/{Id}"));
        Assert.Equal(new ContainerAttribution(Id, "", "", ""), map.Attribute(80));
        Assert.True(map.StateFileErrors.Count >= 1);
        Assert.Contains("refused", map.StateFileErrors.Last);
    }

    [Fact]
    public void A_full_map_forgets_removed_cgroups_first_and_counts_them()
    {
        var map = NewMap();
        map.Seed(Enumerable.Range(1, ContainerMap.MaxEntries - 1).Select(i => new CgroupEntry((ulong)i, $"/host/c{i}", 0, 2)));
        map.Apply(Record(CgroupRecordKind.Mkdir, 100_000, $"/docker/{Id}"));
        map.Apply(Record(CgroupRecordKind.Rmdir, 100_000, $"/docker/{Id}"));
        map.Apply(Record(CgroupRecordKind.Mkdir, 100_001, $"/docker/{Other}")); // one over the limit
        Assert.Equal(1, map.Evicted);
        Assert.Equal(ContainerMap.MaxEntries, map.Count);
        Assert.Equal(Other, map.Attribute(100_001).ContainerId);
        Assert.Equal(ContainerAttribution.None, map.Attribute(100_000)); // the removed one went, the live ones stayed
        Assert.Equal([Other], map.Containers().Select(c => c.ContainerId));
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1_000_000;

        public void Advance(TimeSpan by) => _ticks += (long)(by.TotalSeconds * TimestampFrequency);

        public override long GetTimestamp() => _ticks;

        public override long TimestampFrequency => 1_000_000;
    }
}
