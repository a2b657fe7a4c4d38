namespace OsqueryBpf.Tables.Schema;

/// <summary>
/// Where osquery's event-table columns are found in ours, for porting packs (rendered into docs/tables.md by
/// <see cref="TableReference"/>). A mapped column must exist in our table (a test checks it); "" means we do not
/// have the fact, and the note says why. osquery's columns are those of 5.23.1 (shared/design/osquery-protocol.md
/// section 6).
/// </summary>
public static class OsqueryColumnMap
{
    /// <summary>One osquery column: our column with the same fact ("" when we have none), and what differs.</summary>
    public sealed record Entry(string OsqueryColumn, string OurColumn, string Note = "");

    /// <summary>One osquery table and the table of ours that holds its facts.</summary>
    public sealed record TableMap(string OsqueryTable, string Source, string OurTable, string Summary, IReadOnlyList<Entry> Columns);

    private const string NotCaptured = "not captured";

    /// <summary>The tables, in the order of the reference.</summary>
    public static IReadOnlyList<TableMap> Tables { get; } =
    [
        new("process_events", "Linux audit", "ebpf_process_events",
            "Ours also has exits, forks and clones (when enabled) and failed execs (exit_code below 0): " +
            "`WHERE syscall IN ('execve', 'execveat')` keeps the execs.",
            [
                new("pid", "pid"), new("path", "path"), new("mode", "", NotCaptured + " (the binary's file mode)"),
                new("cmdline", "cmdline", "joined by spaces without quoting; json_cmdline has the exact arguments"),
                new("cmdline_size", "cmdline_size", "NULL when our probe cut argv"),
                new("env", "", NotCaptured), new("env_count", "", NotCaptured), new("env_size", "", NotCaptured),
                new("cwd", "cwd"), new("auid", "auid"), new("uid", "uid"), new("euid", "euid"), new("gid", "gid"), new("egid", "egid"),
                new("owner_uid", "", NotCaptured), new("owner_gid", "", NotCaptured), new("atime", "", NotCaptured), new("mtime", "", NotCaptured),
                new("ctime", "", NotCaptured), new("btime", "", NotCaptured),
                new("overflows", "probe_error", "1 when a field was cut"),
                new("parent", "parent"), new("time", "time"), new("uptime", "uptime"),
                new("eid", "eid", "BIGINT and strictly increasing (osquery: TEXT)"),
                new("fsuid", "", NotCaptured), new("suid", "", NotCaptured), new("fsgid", "", NotCaptured), new("sgid", "", NotCaptured),
                new("syscall", "syscall", "execve or execveat as in osquery; also exit, fork, clone"),
            ]),
        new("bpf_process_events", "osquery's BPF (removed after 5.23)", "ebpf_process_events",
            "The drop-in view `bpf_process_events` gives osquery's exact columns and values (see docs/scheduled-queries.md).",
            [
                new("tid", "tid"), new("pid", "pid"), new("parent", "parent"), new("uid", "uid"), new("gid", "gid"),
                new("cid", "cid", "BIGINT (osquery: INTEGER)"), new("exit_code", "exit_code"), new("probe_error", "probe_error"),
                new("syscall", "syscall", "'exec' in osquery; ours execve or execveat"), new("path", "path"), new("cwd", "cwd"),
                new("cmdline", "cmdline", "osquery quotes arguments containing whitespace; ours joins by spaces"),
                new("duration", "duration"), new("json_cmdline", "json_cmdline"), new("ntime", "ntime"), new("time", "time"), new("eid", "eid"),
            ]),
        new("socket_events", "Linux audit", "ebpf_socket_events",
            "IPv4 and IPv6 only; ours also has listen and close.",
            [
                new("action", "action"), new("pid", "pid"), new("path", "path"), new("fd", "fd"), new("auid", "auid"),
                new("family", "family"), new("protocol", "protocol"), new("local_address", "local_address"),
                new("remote_address", "remote_address"), new("local_port", "local_port"), new("remote_port", "remote_port"),
                new("socket", "", NotCaptured + " (UNIX sockets are not traced)"), new("time", "time"), new("uptime", "uptime"),
                new("eid", "eid", "BIGINT and strictly increasing (osquery: TEXT)"), new("success", "success"),
                new("status", "status", "succeeded, failed or in_progress (no no_client)"),
            ]),
        new("bpf_socket_events", "osquery's BPF (removed after 5.23)", "ebpf_socket_events",
            "The drop-in view `bpf_socket_events` gives osquery's exact columns and values.",
            [
                new("tid", "tid"), new("pid", "pid"), new("parent", "parent"), new("uid", "uid"), new("gid", "gid"),
                new("cid", "cid", "BIGINT (osquery: INTEGER)"), new("exit_code", "exit_code"), new("probe_error", "probe_error"),
                new("syscall", "syscall", "'accept' in osquery for accept and accept4; ours names the syscall"), new("path", "path"),
                new("fd", "fd"), new("family", "family"), new("type", "type"), new("protocol", "protocol"),
                new("local_address", "local_address"), new("remote_address", "remote_address"), new("local_port", "local_port"),
                new("remote_port", "remote_port"), new("duration", "duration"), new("ntime", "ntime"), new("time", "time"), new("eid", "eid"),
            ]),
        new("process_file_events", "Linux audit FIM", "ebpf_file_events",
            "Ours has every operation under the configured prefixes; the uid family is BIGINT (osquery: TEXT).",
            [
                new("operation", "action", "different words: open, create, unlink, rename, ..."), new("pid", "pid"), new("ppid", "parent"),
                new("time", "time"), new("executable", "executable"), new("partial", "probe_error"), new("cwd", "cwd"), new("path", "path"),
                new("dest_path", "dest_path"), new("uid", "uid"), new("gid", "gid"), new("auid", "", NotCaptured + " in this table"),
                new("euid", "", NotCaptured + " in this table"), new("egid", "", NotCaptured + " in this table"),
                new("fsuid", "", NotCaptured), new("fsgid", "", NotCaptured), new("suid", "", NotCaptured), new("sgid", "", NotCaptured),
                new("uptime", "uptime"), new("eid", "eid"),
            ]),
        new("file_events", "inotify", "ebpf_file_events",
            "osquery reports a file's state after a change; ours reports the operation and who did it.",
            [
                new("target_path", "path"), new("category", "", "no categories: filter on path"),
                new("action", "action", "different words: CREATED/UPDATED/DELETED/... in osquery"),
                new("transaction_id", "", NotCaptured), new("inode", "inode"),
                new("uid", "", "the file's owner is not read; owner_uid is the new owner of a chown"),
                new("gid", "", "the file's group is not read; owner_gid is the new group of a chown"),
                new("mode", "mode", "the mode given to create or chmod"), new("size", "", NotCaptured), new("atime", "", NotCaptured),
                new("mtime", "", NotCaptured), new("ctime", "", NotCaptured), new("md5", "", "no hashing"), new("sha1", "", "no hashing"),
                new("sha256", "", "no hashing"), new("hashed", "", "no hashing"), new("time", "time"), new("eid", "eid"),
            ]),
    ];
}
