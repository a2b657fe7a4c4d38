namespace OsqueryBpf.Events;

/// <summary>
/// The facts every event table has (shared/design/tables.md, "Columns every event table has").
/// The store assigns <c>eid</c>; everything else comes from the probe.
/// </summary>
public abstract class Event
{
    /// <summary>Nanoseconds since boot from the kernel's clock (bpf_ktime_get_boot_ns); the <c>ntime</c> column.</summary>
    public ulong BootTimeNs { get; set; }

    /// <summary>UNIX seconds of the event; the <c>time</c> column.</summary>
    public long Time { get; set; }

    /// <summary>Thread id (the kernel's pid).</summary>
    public long Tid { get; set; }

    /// <summary>Process id (the kernel's tgid).</summary>
    public long Pid { get; set; }

    /// <summary>Parent process id (real parent's tgid).</summary>
    public long Parent { get; set; }

    /// <summary>Real user id.</summary>
    public long Uid { get; set; }

    /// <summary>Real group id.</summary>
    public long Gid { get; set; }

    /// <summary>cgroup v2 id of the task; the <c>cid</c> column.</summary>
    public long CgroupId { get; set; }

    /// <summary>The container the task's cgroup belongs to ("UID/ID" for a rootless one), empty on the host.</summary>
    public string ContainerId { get; set; } = "";

    /// <summary>The container's name from its runtime's state, empty when unknown or on the host.</summary>
    public string ContainerName { get; set; } = "";

    /// <summary>The Kubernetes pod's name, empty outside Kubernetes.</summary>
    public string PodName { get; set; } = "";

    /// <summary>The Kubernetes pod's namespace, empty outside Kubernetes.</summary>
    public string PodNamespace { get; set; } = "";

    /// <summary>The task's command name (at most 15 bytes in the kernel).</summary>
    public string Comm { get; set; } = "";

    /// <summary>True when a field could not be read completely (a cut path, unreadable argv).</summary>
    public bool ProbeError { get; set; }
}
