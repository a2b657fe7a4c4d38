using OsqueryBpf.Events;
using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Tables.Schema;

/// <summary>
/// The five tables this extension serves, defined once: osqueryd's column routes, the SQLite schema and
/// docs/tables.md are all generated from these definitions (shared/design/tables.md is the design).
/// </summary>
public static class EventTables
{
    /// <summary><c>ebpf_process_events</c>: execs, exits and (optionally) forks.</summary>
    public static TableDefinition Process { get; } = new(
        "ebpf_process_events",
        "One row per exec (successful or failed) and per process exit; forks and clones when enabled.",
        isEvented: true,
        typeof(ProcessEvent),
        Time(new ColumnListBuilder<ProcessEvent>())
            .Text("syscall", "execve, execveat, exit, or fork/clone when enabled.", e => e.Syscall)
            .Apply(ProcessIdentity)
            .Integer("euid", ColumnType.BigInt, "Effective user id.", e => e.Euid)
            .Integer("egid", ColumnType.BigInt, "Effective group id.", e => e.Egid)
            .Integer("auid", ColumnType.BigInt, "Login (audit) user id; 4294967295 when unset.", e => e.Auid)
            .Text("path", "Absolute path of the executed binary.", e => e.Path)
            .Text("cwd", "Working directory of the process.", e => e.Cwd)
            .Text("cmdline", "The arguments joined by spaces (json_cmdline is exact).", e => ArgvFormatting.CommandLine(e.Argv))
            .NumberAsText("exit_code", "The exec's return value (a negative errno on failure), or the exit status for exits.", e => e.ExitCode)
            .Integer("duration", ColumnType.BigInt, "Nanoseconds spent in the syscall; for exits, the process lifetime.", e => e.Duration)
            .Apply(Tail)
            .Text("json_cmdline", "The arguments as a JSON array of strings, exactly as passed.",
                e => ArgvFormatting.JsonArray(e.Argv), ColumnOptions.Index | ColumnOptions.Hidden)
            .Eid()
            .Build());

    /// <summary><c>ebpf_file_events</c>: file operations.</summary>
    public static TableDefinition File { get; } = new(
        "ebpf_file_events",
        "One row per file operation. Opens for reading only are off by default; path include and exclude prefixes are applied in the kernel.",
        isEvented: true,
        typeof(FileEvent),
        Time(new ColumnListBuilder<FileEvent>())
            .Text("action", "open, create, truncate, unlink, rename, mkdir, rmdir, chmod, chown, link or symlink.", e => e.Action)
            .Text("syscall", "The syscall that performed the operation (openat, renameat2, fchmod, ...).", e => e.Syscall)
            .Text("path", "Absolute path of the file, resolved in the kernel.", e => e.Path)
            .Text("dest_path", "Target of rename, link and symlink; empty otherwise.", e => e.DestPath)
            .Text("flags", "Open flags in symbolic form, for example O_WRONLY|O_CREAT|O_TRUNC.", e => e.Flags)
            .Text("mode", "Mode in octal, for example 0644; empty when the operation has none.", e => e.Mode)
            .NumberAsText("exit_code", "The syscall's return value (a negative errno on failure).", e => e.ExitCode)
            .Integer("inode", ColumnType.BigInt, "Inode number of the file when known, else 0.", e => e.Inode)
            .Integer("owner_uid", ColumnType.BigInt, "New owner uid for chown; -1 otherwise or when unchanged.", e => e.OwnerUid)
            .Integer("owner_gid", ColumnType.BigInt, "New owner gid for chown; -1 otherwise or when unchanged.", e => e.OwnerGid)
            .Apply(ProcessIdentity)
            .Text("executable", "The acting process's binary (path is the file here).", e => e.Executable)
            .Text("cwd", "Working directory of the acting process.", e => e.Cwd)
            .Apply(Tail)
            .Eid()
            .Build());

    /// <summary><c>ebpf_socket_events</c>: socket operations.</summary>
    public static TableDefinition Socket { get; } = new(
        "ebpf_socket_events",
        "One row per socket operation (connect, accept, bind, listen, close), IPv4 and IPv6, TCP and UDP.",
        isEvented: true,
        typeof(SocketEvent),
        Time(new ColumnListBuilder<SocketEvent>())
            .Text("action", "connect, accept, bind, listen or close.", e => e.Action)
            .Text("syscall", "The syscall (connect, accept4, bind, listen, close, ...).", e => e.Syscall)
            .NumberAsText("fd", "The socket's file descriptor (for accept, the new one); TEXT as in osquery.", e => e.Fd)
            .Integer("family", ColumnType.Integer, "Address family: 2 (AF_INET) or 10 (AF_INET6).", e => e.Family)
            .Integer("type", ColumnType.Integer, "Socket type: 1 (SOCK_STREAM) or 2 (SOCK_DGRAM).", e => e.Type)
            .Integer("protocol", ColumnType.Integer, "Protocol: 6 (TCP) or 17 (UDP).", e => e.Protocol)
            .Text("local_address", "Local address in canonical text form.", e => e.LocalAddress)
            .Integer("local_port", ColumnType.Integer, "Local port.", e => e.LocalPort)
            .Text("remote_address", "Remote address in canonical text form.", e => e.RemoteAddress)
            .Integer("remote_port", ColumnType.Integer, "Remote port.", e => e.RemotePort)
            .NumberAsText("exit_code", "The syscall's return value (a negative errno on failure).", e => e.ExitCode)
            .Text("status", "succeeded, failed or in_progress.", e => e.Status)
            .Integer("duration", ColumnType.BigInt, "Nanoseconds spent in the syscall.", e => e.Duration)
            .Apply(ProcessIdentity)
            .Text("path", "The process's binary.", e => e.Path)
            .Apply(Tail)
            .Eid()
            .Build());

    /// <summary><c>ebpf_dns_events</c>: DNS queries and responses, attributed to processes.</summary>
    public static TableDefinition Dns { get; } = new(
        "ebpf_dns_events",
        "One row per DNS message seen on the host, queries and responses, over UDP and TCP port 53, with the process that sent the query.",
        isEvented: true,
        typeof(DnsEvent),
        Time(new ColumnListBuilder<DnsEvent>())
            .Text("kind", "query or response.", e => e.Kind)
            .Integer("id", ColumnType.Integer, "DNS transaction id.", e => e.Id)
            .Text("name", "The question name.", e => e.Name)
            .Text("type", "The question type: A, AAAA, CNAME, MX, TXT, PTR, SRV, HTTPS, ... or TYPEnnn.", e => e.Type)
            .Integer("type_id", ColumnType.Integer, "The question type's number.", e => e.TypeId)
            .Integer("status", ColumnType.Integer, "Response code (0 NOERROR, 3 NXDOMAIN, ...); 0 on queries.", e => e.Status)
            .Text("answers", "The answer records in the documented human-readable form.", e => e.Answers)
            .Integer("latency", ColumnType.BigInt, "Nanoseconds from the query to this response; 0 on queries or when unmatched.", e => e.Latency)
            .Text("protocol", "udp or tcp.", e => e.Protocol)
            .Text("server_address", "The server's address.", e => e.ServerAddress)
            .Integer("server_port", ColumnType.Integer, "The server's port.", e => e.ServerPort)
            .Text("client_address", "The client's address.", e => e.ClientAddress)
            .Integer("client_port", ColumnType.Integer, "The client's port.", e => e.ClientPort)
            .Flag("truncated", "1 when the TC (truncated) bit was set, else 0.", e => e.Truncated)
            .Apply(ProcessIdentity)
            .Text("path", "The binary of the process that sent the query.", e => e.Path)
            .Apply(Tail)
            .Text("response", "The answer records as a JSON array.", e => e.ResponseJson, ColumnOptions.Index | ColumnOptions.Hidden)
            .Eid()
            .Build());

    /// <summary><c>ebpf_probes</c>: one status row per probe (not evented).</summary>
    public static TableDefinition Probes { get; } = new(
        "ebpf_probes",
        "Not evented: one row per probe, for operators and health checks.",
        isEvented: false,
        eventType: null,
        new ColumnListBuilder<ProbeStatusRow>()
            .Text("name", "The probe's name.", r => r.Status.Name)
            .Text("table", "The table its events go to.", r => r.Status.Table)
            .Text("hooks", "Its attach points, comma separated.", r => r.Status.Hooks)
            .Text("status", "running; degraded when some hooks are missing (see missing_hooks); failed or disabled.", r => r.Status.Status)
            .Text("error", "Why it failed, with the verifier's last lines when the verifier refused it; empty otherwise.", r => r.Status.Error)
            .Text("missing_hooks", "Hooks that are not running, separated by ' | ', each with the first kernel that has it and why it is missing here " +
                "(optional ones are syscalls this kernel does not have); empty when every hook runs.", r => r.Status.MissingHooks)
            .Integer("events", ColumnType.BigInt, "Records received from the kernel.", r => r.Status.Events)
            .Integer("drops", ColumnType.BigInt, "Records lost in the kernel ring or in the pipeline.", r => r.Status.Drops)
            .Integer("rows", ColumnType.BigInt, "Rows of its table buffered now.", r => r.Rows)
            .Integer("oldest_time", ColumnType.BigInt, "UNIX seconds of the oldest buffered row of its table; empty (NULL) when there is none.",
                r => r.OldestTime ?? ColumnListBuilder<ProbeStatusRow>.Null, nullable: true)
            .Integer("ring_bytes", ColumnType.BigInt, "Size of its ring buffer in bytes.", r => r.Status.RingBytes)
            .Integer("loaded_at", ColumnType.BigInt, "UNIX seconds when it was loaded; empty (NULL) if it never was.",
                r => r.Status.LoadedAt ?? ColumnListBuilder<ProbeStatusRow>.Null, nullable: true)
            .Build());

    /// <summary>All five tables, the event tables first.</summary>
    public static IReadOnlyList<TableDefinition> All { get; } = new[] { Process, File, Socket, Dns, Probes };

    /// <summary>The four event tables.</summary>
    public static IReadOnlyList<TableDefinition> Evented { get; } = new[] { Process, File, Socket, Dns };

    /// <summary>The table with this exact name, or null.</summary>
    public static TableDefinition? Find(string name)
    {
        foreach (var table in All)
        {
            if (table.Name == name)
                return table;
        }
        return null;
    }

    // time first: INDEX | ADDITIONAL (5), so `WHERE time > N` reaches us whatever --extensions_default_index says.
    private static ColumnListBuilder<T> Time<T>(ColumnListBuilder<T> builder) where T : Event =>
        builder.Integer("time", ColumnType.BigInt, "UNIX seconds of the event.", e => e.Time, ColumnOptions.Index | ColumnOptions.Additional);

    private static ColumnListBuilder<T> ProcessIdentity<T>(ColumnListBuilder<T> builder) where T : Event =>
        builder
            .Integer("pid", ColumnType.BigInt, "Process id.", e => e.Pid)
            .Integer("tid", ColumnType.BigInt, "Thread id.", e => e.Tid)
            .Integer("parent", ColumnType.BigInt, "Parent process id.", e => e.Parent)
            .Integer("uid", ColumnType.BigInt, "Real user id.", e => e.Uid)
            .Integer("gid", ColumnType.BigInt, "Real group id.", e => e.Gid);

    private static ColumnListBuilder<T> Tail<T>(ColumnListBuilder<T> builder) where T : Event =>
        builder
            .Text("comm", "The task's command name (at most 15 bytes).", e => e.Comm)
            .Integer("cid", ColumnType.BigInt, "cgroup v2 id of the task.", e => e.CgroupId)
            .Text("container_id", "Container id parsed from the cgroup path (docker, containerd, cri-o, podman, kubepods); empty on the host.", e => e.ContainerId)
            .Flag("probe_error", "1 when a field could not be read completely (a cut path, unreadable argv), else 0.", e => e.ProbeError)
            .NumberAsText("ntime", "Nanoseconds since boot from the kernel's clock, as in osquery's BPF tables.", e => unchecked((long)e.BootTimeNs));
}

/// <summary>Lets the table definitions above read top to bottom.</summary>
internal static class ColumnListBuilderExtensions
{
    public static ColumnListBuilder<T> Apply<T>(this ColumnListBuilder<T> builder, Func<ColumnListBuilder<T>, ColumnListBuilder<T>> add)
        where T : class => add(builder);
}
