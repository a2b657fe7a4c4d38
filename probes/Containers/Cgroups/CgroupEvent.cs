namespace OsqueryBpf.Containers.Cgroups;

/// <summary>One decoded record of the cgroup probe: what happened to which cgroup, and who did it.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="BootNs">bpf_ktime_get_boot_ns() when it happened.</param>
/// <param name="CgroupId">The cgroup's kernfs id: the inode number of its directory on cgroupfs, and the id events carry.</param>
/// <param name="HierarchyId">0 for cgroup v2; a cgroup v1 hierarchy otherwise.</param>
/// <param name="Level">Depth below the hierarchy's root.</param>
/// <param name="Path">The path in its hierarchy as the kernel formats it ("/docker/ID"), never relative to a cgroup namespace.</param>
/// <param name="PathMayBeCut">The path filled the kernel's 1024-byte buffer (or could not be read) and may be incomplete.</param>
/// <param name="OwnerUid">The cgroup directory's owner as the kernel recorded it (global uid): for a new cgroup, its creator's fsuid.</param>
/// <param name="ActorPid">The acting process (task->tgid).</param>
/// <param name="ActorTid">The acting thread (task->pid).</param>
/// <param name="ActorUid">The acting task's real uid.</param>
/// <param name="ActorEuid">The acting task's effective uid.</param>
/// <param name="ActorComm">The acting task's comm.</param>
/// <param name="ActorCgroupId">The acting task's own cgroup v2 id.</param>
/// <param name="ActorMountNamespace">The acting task's mount namespace inode (as in /proc/PID/ns/mnt).</param>
/// <param name="TaskPid">AttachTask: the moved process (task->tgid); else 0.</param>
/// <param name="TaskTid">AttachTask: the moved thread (task->pid); else 0.</param>
/// <param name="TaskMountNamespace">AttachTask: the moved task's mount namespace inode; else 0.</param>
/// <param name="ThreadGroup">AttachTask: the whole thread group moved.</param>
public sealed record CgroupEvent(
    CgroupRecordKind Kind,
    ulong BootNs,
    ulong CgroupId,
    uint HierarchyId,
    uint Level,
    string Path,
    bool PathMayBeCut,
    uint OwnerUid,
    uint ActorPid,
    uint ActorTid,
    uint ActorUid,
    uint ActorEuid,
    string ActorComm,
    ulong ActorCgroupId,
    uint ActorMountNamespace,
    uint TaskPid,
    uint TaskTid,
    uint TaskMountNamespace,
    bool ThreadGroup)
{
    /// <summary>True for the cgroup v2 hierarchy, whose ids are the ones event rows carry.</summary>
    public bool IsCgroup2 => HierarchyId == 0;
}
