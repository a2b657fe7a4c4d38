using OsqueryBpf.Containers.Cgroups;
using OsqueryBpf.Containers.Tests.Runtimes;
using Xunit;

namespace OsqueryBpf.Containers.Tests.Kernel;

/// <summary>The cgroup probe in the real kernel, on cgroups this test makes itself.</summary>
[Collection(CgroupProbeCollection.Name)]
public sealed class CgroupProbeTests(CgroupProbe probe)
{
    [SkippableFact]
    public void Mkdir_attach_and_rmdir_carry_the_id_the_directory_has_and_the_mount_namespace_of_the_moved_task()
    {
        probe.Require();
        Assert.All(probe.Programs.Values, p => Assert.Null(p.Error));
        string path = $"/osqbpf-cgroup-test-{Guid.NewGuid():N}";
        string dir = CgroupTree.Directory(path);
        Directory.CreateDirectory(dir);
        try
        {
            ulong inode = CgroupFileSystem.IdOf(CgroupTree.MountPoint!, path)!.Value;
            var made = probe.WaitFor(e => e.Kind == CgroupRecordKind.Mkdir && e.Path == path, "mkdir");
            Assert.Equal(inode, made.CgroupId);
            Assert.Equal(0u, made.HierarchyId);
            Assert.Equal(1u, made.Level);
            Assert.Equal(0u, made.OwnerUid);
            Assert.Equal((uint)Environment.ProcessId, made.ActorPid);
            Assert.Equal(HostMountNamespace(), made.ActorMountNamespace);

            // The initial walk sees the same id for the same path.
            var walked = CgroupFileSystem.Walk(CgroupTree.MountPoint!, 100_000, out bool truncated);
            Assert.False(truncated);
            Assert.Contains(walked, w => w.Path == path && w.Id == inode && w.OwnerUid == 0 && w.Level == 1);

            // A process in its own mount namespace, moved in by a write to cgroup.procs.
            var script = $"echo $$ > {dir}/cgroup.procs; readlink /proc/self/ns/mnt";
            var r = Command.Run("unshare", ["--mount", "/bin/sh", "-c", script]);
            Assert.True(r.ExitCode == 0, r.Describe("unshare"));
            uint childMountNs = uint.Parse(r.Output.Trim()["mnt:[".Length..^1]);
            Assert.NotEqual(HostMountNamespace(), childMountNs);
            var attached = probe.WaitFor(e => e.Kind == CgroupRecordKind.AttachTask && e.CgroupId == inode, "attach_task");
            Assert.Equal(path, attached.Path);
            Assert.Equal(childMountNs, attached.TaskMountNamespace);
            Assert.True(attached.ThreadGroup);
            Assert.Equal(attached.TaskPid, attached.ActorPid); // the shell moved itself
            Assert.True(attached.BootNs > made.BootNs);
        }
        finally
        {
            Directory.Delete(dir);
        }
        var removed = probe.WaitFor(e => e.Kind == CgroupRecordKind.Rmdir && e.Path == path, "rmdir");
        Assert.Equal(probe.Seen(e => e.Kind == CgroupRecordKind.Mkdir && e.Path == path).Single().CgroupId, removed.CgroupId);
        Assert.Equal(0, probe.Malformed.Count);
        Assert.Equal(0ul, probe.Lost);
    }

    [SkippableFact]
    public void Cgroup_v1_records_are_dropped_in_the_kernel_by_default_and_rename_is_seen_when_asked_for()
    {
        probe.Require();
        // On our hosts name=systemd is a cgroup v1 hierarchy (mounted at /sys/fs/cgroup/systemd) with no controller.
        var v1 = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' '))
            .FirstOrDefault(f => f.Length > 9 && f[^3] == "cgroup" && f[^1].Contains("name=systemd") && f[3] == "/");
        Skip.If(v1 is null, "no named cgroup v1 hierarchy (name=systemd) is mounted on this host");
        string mount = v1![4];
        using var all = new CgroupProbe(defaultHierarchyOnly: false);
        string name = $"osqbpf-v1-{Guid.NewGuid():N}";
        Directory.CreateDirectory(Path.Combine(mount, name));
        try
        {
            Directory.Move(Path.Combine(mount, name), Path.Combine(mount, name + "-renamed"));
            var renamed = all.WaitFor(e => e.Kind == CgroupRecordKind.Rename && e.Path == "/" + name + "-renamed", "rename on cgroup v1");
            Assert.NotEqual(0u, renamed.HierarchyId);
            Assert.Contains(all.Seen(e => e.Kind == CgroupRecordKind.Mkdir && e.Path == "/" + name), e => e.HierarchyId == renamed.HierarchyId);
        }
        finally
        {
            Directory.Delete(Path.Combine(mount, name + "-renamed"));
        }
        all.WaitFor(e => e.Kind == CgroupRecordKind.Rmdir && e.Path == "/" + name + "-renamed", "rmdir on cgroup v1");
        Assert.Empty(probe.Seen(e => e.Path.Contains(name)));
    }

    internal static uint HostMountNamespace()
    {
        var text = new FileInfo("/proc/self/ns/mnt").LinkTarget!;
        return uint.Parse(text["mnt:[".Length..^1]);
    }
}
