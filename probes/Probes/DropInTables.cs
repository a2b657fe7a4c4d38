using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Probes;

/// <summary>
/// osquery 5.23.1's bpf_process_events and bpf_socket_events (removed from osquery afterwards), as SQLite views over
/// our tables, so that packs written for them run unchanged. Schema from osquery's specs/linux/*.table at tag
/// 5.23.1: every column name, type and hidden/additional flag; INDEX is added to the hidden columns only so that
/// osqueryd still pushes their constraints to an extension (osquery-protocol.md 3.6). Values follow
/// osquery/tables/events/linux/bpf_{process,socket}_events.cpp at that tag:
/// <list type="bullet">
/// <item>process: execs only, syscall 'exec'; execs that failed with an errno (exit_code -1 to -133, -EPERM to
/// -EHWPOISON) are left out; cmdline joins argv by spaces, wrapping in single quotes each argument that contains
/// whitespace (C isspace: space, \t, \n, \v, \f, \r); exit_code is the exec's return value as text.</item>
/// <item>socket: connect, bind, listen and accept only, syscall named after the operation ('accept' for accept4
/// too); close is left out.</item>
/// <item>both: duration is the nanoseconds spent in the syscall, ntime the kernel's nanoseconds since boot as text
/// (ours is CLOCK_BOOTTIME, which also counts suspend), time UNIX seconds.</item>
/// </list>
/// The extension registers them only when osqueryd has no table of that name (docs/scheduled-queries.md).
/// </summary>
public static class DropInTables
{
    private const ColumnOptions Hidden = ColumnOptions.Index | ColumnOptions.Hidden;
    private const ColumnOptions HiddenAdditional = ColumnOptions.Index | ColumnOptions.Hidden | ColumnOptions.Additional;

    // C's isspace in the "C" locale.
    private const string HasWhitespace =
        "(instr(value, ' ') OR instr(value, char(9)) OR instr(value, char(10)) OR instr(value, char(11)) OR instr(value, char(12)) OR instr(value, char(13)))";

    /// <summary><c>bpf_process_events</c> over <c>ebpf_process_events</c>.</summary>
    public static TableDefinition ProcessEvents { get; } = TableDefinition.View(
        "bpf_process_events",
        "osquery 5.23.1's table of the same name, as a view over ebpf_process_events: successful execs only, osquery's columns and values.",
        CommonColumns()
            .ViewColumn("syscall", ColumnType.Text, "System call name: exec", false)
            .ViewColumn("path", ColumnType.Text, "Binary path", false)
            .ViewColumn("cwd", ColumnType.Text, "Current working directory", false)
            .ViewColumn("cmdline", ColumnType.Text, "Command line arguments; those containing whitespace in single quotes", false)
            .ViewColumn("duration", ColumnType.Integer, "How much time was spent inside the syscall (nsecs)", true)
            .ViewColumn("json_cmdline", ColumnType.Text, "Command line arguments, in JSON format", false, Hidden)
            .ViewColumn("ntime", ColumnType.Text, "The nsecs uptime timestamp as obtained from BPF", true)
            .ViewColumn("time", ColumnType.BigInt, "Time of execution in UNIX time", true, HiddenAdditional)
            .ViewColumn("eid", ColumnType.Integer, "Event ID", true, Hidden)
            .Build(),
        "SELECT tid, pid, parent, uid, gid, cid, exit_code, probe_error, 'exec', path, cwd, " +
        $"coalesce((SELECT group_concat(CASE WHEN {HasWhitespace} THEN '''' || value || '''' ELSE value END, ' ') " +
        "FROM (SELECT value FROM json_each(p.json_cmdline) ORDER BY key)), ''), " +
        "duration, json_cmdline, ntime, time, eid FROM \"ebpf_process_events\" AS p " +
        "WHERE syscall IN ('execve', 'execveat') AND NOT (exit_code BETWEEN -133 AND -1)");

    /// <summary><c>bpf_socket_events</c> over <c>ebpf_socket_events</c>.</summary>
    public static TableDefinition SocketEvents { get; } = TableDefinition.View(
        "bpf_socket_events",
        "osquery 5.23.1's table of the same name, as a view over ebpf_socket_events: connect, bind, listen and accept, osquery's columns and values.",
        CommonColumns()
            .ViewColumn("syscall", ColumnType.Text, "System call name: connect, bind, listen or accept", false)
            .ViewColumn("path", ColumnType.Text, "Path of executed file", false)
            .ViewColumn("fd", ColumnType.Text, "The file description for the process socket", true)
            .ViewColumn("family", ColumnType.Integer, "The Internet protocol family ID", true)
            .ViewColumn("type", ColumnType.Integer, "The socket type", true)
            .ViewColumn("protocol", ColumnType.Integer, "The network protocol ID", true)
            .ViewColumn("local_address", ColumnType.Text, "Local address associated with socket", false)
            .ViewColumn("remote_address", ColumnType.Text, "Remote address associated with socket", false)
            .ViewColumn("local_port", ColumnType.Integer, "Local network protocol port number", true)
            .ViewColumn("remote_port", ColumnType.Integer, "Remote network protocol port number", true)
            .ViewColumn("duration", ColumnType.Integer, "How much time was spent inside the syscall (nsecs)", true)
            .ViewColumn("ntime", ColumnType.Text, "The nsecs uptime timestamp as obtained from BPF", true)
            .ViewColumn("time", ColumnType.BigInt, "Time of execution in UNIX time", true, HiddenAdditional)
            .ViewColumn("eid", ColumnType.Integer, "Event ID", true, Hidden)
            .Build(),
        "SELECT tid, pid, parent, uid, gid, cid, exit_code, probe_error, action, path, fd, family, type, protocol, " +
        "local_address, remote_address, local_port, remote_port, duration, ntime, time, eid FROM \"ebpf_socket_events\" " +
        "WHERE action IN ('connect', 'bind', 'listen', 'accept')");

    // The columns both of osquery's BPF event tables begin with (its specs' common part), in its order.
    private static ColumnListBuilder<object> CommonColumns() =>
        new ColumnListBuilder<object>()
            .ViewColumn("tid", ColumnType.BigInt, "Thread ID", true)
            .ViewColumn("pid", ColumnType.BigInt, "Process ID", true)
            .ViewColumn("parent", ColumnType.BigInt, "Parent process ID", true)
            .ViewColumn("uid", ColumnType.BigInt, "User ID", true)
            .ViewColumn("gid", ColumnType.BigInt, "Group ID", true)
            .ViewColumn("cid", ColumnType.Integer, "Cgroup ID", true)
            .ViewColumn("exit_code", ColumnType.Text, "Exit code of the system call", true)
            .ViewColumn("probe_error", ColumnType.Integer, "Set to 1 if one or more buffers could not be captured", true);

    /// <summary>Both, in osquery's order.</summary>
    public static IReadOnlyList<TableDefinition> All { get; } = [ProcessEvents, SocketEvents];

    /// <summary>The event table each drop-in reads (for retention: a query on the drop-in reads it).</summary>
    public static string Underlying(TableDefinition dropIn) =>
        ReferenceEquals(dropIn, ProcessEvents) ? ProcessProbe.Table.Name : SocketProbe.Table.Name;
}
