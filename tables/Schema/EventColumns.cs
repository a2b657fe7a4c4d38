using OsqueryBpf.Events;
using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Tables.Schema;

/// <summary>
/// The columns every event table shares (shared/design/tables.md, "Columns every event table has"), so that each
/// probe's table definition lists only its own facts between them: <c>Time()</c> first, then the probe's columns with
/// <c>ProcessIdentity()</c> where they fit, then <c>Tail()</c> and <c>Eid()</c>.
/// </summary>
public static class EventColumns
{
    /// <summary>time first: INDEX | ADDITIONAL (5), so <c>WHERE time > N</c> reaches us whatever --extensions_default_index says.</summary>
    public static ColumnListBuilder<T> Time<T>(this ColumnListBuilder<T> builder) where T : Event =>
        builder.Integer("time", ColumnType.BigInt, "UNIX seconds of the event.", e => e.Time, ColumnOptions.Index | ColumnOptions.Additional);

    /// <summary>pid, tid, parent, uid and gid.</summary>
    public static ColumnListBuilder<T> ProcessIdentity<T>(this ColumnListBuilder<T> builder) where T : Event =>
        builder
            .Integer("pid", ColumnType.BigInt, "Process id.", e => e.Pid)
            .Integer("tid", ColumnType.BigInt, "Thread id.", e => e.Tid)
            .Integer("parent", ColumnType.BigInt, "Parent process id.", e => e.Parent)
            .Integer("uid", ColumnType.BigInt, "Real user id.", e => e.Uid)
            .Integer("gid", ColumnType.BigInt, "Real group id.", e => e.Gid);

    /// <summary>comm, cid, container_id, probe_error, ntime and uptime.</summary>
    public static ColumnListBuilder<T> Tail<T>(this ColumnListBuilder<T> builder) where T : Event =>
        builder
            .Text("comm", "The task's command name (at most 15 bytes).", e => e.Comm)
            .Integer("cid", ColumnType.BigInt, "cgroup v2 id of the task.", e => e.CgroupId)
            .Text("container_id", "Container id parsed from the cgroup path (docker, containerd, cri-o, podman, kubepods); empty on the host.", e => e.ContainerId)
            .Flag("probe_error", "1 when a field could not be read completely (a cut path, unreadable argv), else 0.", e => e.ProbeError)
            .NumberAsText("ntime", "Nanoseconds since boot from the kernel's clock, as in osquery's BPF tables.", e => unchecked((long)e.BootTimeNs))
            .Integer("uptime", ColumnType.BigInt, "Seconds since boot at the event (ntime in whole seconds; the boot clock counts suspend), as osquery's uptime column.",
                e => unchecked((long)(e.BootTimeNs / 1_000_000_000)));
}
