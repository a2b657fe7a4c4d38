using Xunit;

namespace OsqueryBpf.Containers.Tests.Kernel;

/// <summary>The tests that share one loaded cgroup probe (loading it takes a few seconds).</summary>
[CollectionDefinition(Name)]
public sealed class CgroupProbeCollection : ICollectionFixture<CgroupProbe>
{
    public const string Name = "cgroup probe";
}

/// <summary>Assertions about the cgroup probe's records that every runtime's tests make.</summary>
internal static class CgroupAssert
{
    /// <summary>
    /// The mkdir record of <paramref name="path"/>, after checking that it came before the first process was
    /// moved into that cgroup (every attach_task record for its id is later), and that there was such a process.
    /// </summary>
    public static Cgroups.CgroupEvent MadeBeforeFirstProcess(CgroupProbe probe, string path)
    {
        var made = probe.WaitFor(e => e.Kind == Cgroups.CgroupRecordKind.Mkdir && e.Path == path, $"mkdir of {path}");
        Assert.True(made.CgroupId > 1, $"cgroup id {made.CgroupId}");
        var attached = probe.WaitFor(e => e.Kind == Cgroups.CgroupRecordKind.AttachTask && e.CgroupId == made.CgroupId, $"a process attached to {path}");
        var all = probe.Seen(e => e.Kind == Cgroups.CgroupRecordKind.AttachTask && e.CgroupId == made.CgroupId);
        Assert.All(all, a => Assert.True(a.BootNs > made.BootNs, $"attach of pid {a.TaskPid} at {a.BootNs} before the mkdir at {made.BootNs}"));
        Assert.Equal(path, attached.Path);
        return made;
    }
}
