namespace OsqueryBpf.Containers.Cgroups;

/// <summary>The record kinds of probes/bpf/cgroup.bpf.c (<c>event_header.kind</c>, the range 64..79).</summary>
public enum CgroupRecordKind : ushort
{
    /// <summary>A cgroup was made (before mkdir returned, so before any process could be in it).</summary>
    Mkdir = 64,

    /// <summary>A cgroup was removed.</summary>
    Rmdir = 65,

    /// <summary>A cgroup was renamed (cgroup v1 hierarchies only).</summary>
    Rename = 66,

    /// <summary>A task or thread group was moved into a cgroup by a write to cgroup.procs or tasks.</summary>
    AttachTask = 67,
}
