using OsqueryBpf.Probes.Decoding;
using Xunit;

namespace OsqueryBpf.Probes.Tests;

public sealed class ContainerIdCacheTests
{
    private const string Id = "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd";

    [Fact]
    public void Reads_each_cgroup_once_and_caches_host_cgroups_too()
    {
        var reads = new List<long>();
        var cache = new ContainerIdCache(pid =>
        {
            reads.Add(pid);
            return pid == 1 ? "0::/init.scope\n" : $"0::/system.slice/docker-{Id}.scope\n";
        });

        Assert.Equal(Id, cache.Get(cgroupId: 7, pid: 42));
        Assert.Equal(Id, cache.Get(cgroupId: 7, pid: 43));
        Assert.Equal("", cache.Get(cgroupId: 8, pid: 1));
        Assert.Equal("", cache.Get(cgroupId: 8, pid: 1));
        Assert.Equal([42L, 1L], reads);
    }

    [Fact]
    public void A_process_that_is_gone_is_retried_later()
    {
        string? text = null;
        var cache = new ContainerIdCache(_ => text);
        Assert.Equal("", cache.Get(9, 50));
        text = $"0::/kubepods/pod1/crio-{Id}.scope";
        Assert.Equal(Id, cache.Get(9, 51));
    }

    [Fact]
    public void The_v2_line_wins_over_v1_lines()
    {
        Assert.Equal(Id, ContainerIdCache.FromProcCgroup($"12:cpu,cpuacct:/\n0::/docker/{Id}\n"));
        Assert.Equal(Id, ContainerIdCache.FromProcCgroup($"4:memory:/docker/{Id}\n1:name=systemd:/\n"));
        Assert.Equal("", ContainerIdCache.FromProcCgroup("0::/user.slice/user-0.slice/session-1.scope\n"));
    }

    [Fact]
    public void Shared_cache_reads_this_process()
    {
        var expected = ContainerIdCache.FromProcCgroup(File.ReadAllText("/proc/self/cgroup"));
        Assert.Equal(expected, ContainerIdCache.Shared.Get(ulong.MaxValue - (ulong)Environment.ProcessId, Environment.ProcessId));
    }
}
