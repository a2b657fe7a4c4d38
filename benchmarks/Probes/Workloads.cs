namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>Where the workload's events are counted in a bpftrace capture: lines whose pid or parent pid is the workload's.</summary>
internal enum TraceOwner
{
    Pid,
    Parent,
}

/// <summary>
/// One benchmark case: a C workload, the probe and settings the extension runs with, the SQL that counts the rows
/// the workload caused, and the bpftrace program that captures the same events.
/// </summary>
/// <param name="Name">Name on the command line and in the table.</param>
/// <param name="Program">Workload source file name without .c (workloads/NAME.c).</param>
/// <param name="DefaultCount">Operations per run by default (about 1-2 s on the 2-core VM).</param>
/// <param name="Arguments">Command-line arguments after the count, given the run's scratch folder.</param>
/// <param name="Probe">The one probe the extension runs.</param>
/// <param name="RecordReadOpens">Value of record_read_opens in the extension's settings.</param>
/// <param name="ExpectedRows">Rows the count query should find after the given number of operations.</param>
/// <param name="CountSql">SQL giving (kind, n) rows for the workload: {pid}, {dir}, {target} and {eid} (count only rows after it,
/// which the primary key finds without a scan) are substituted.</param>
/// <param name="Bpftrace">bpftrace program; every line it prints starts with "pid ppid event".</param>
/// <param name="TraceOwner">Which of the two first fields identifies the workload in the bpftrace output.</param>
/// <param name="ExpectedTraceLines">Lines of the workload bpftrace should print after the given number of operations.</param>
/// <param name="TraceFilter">When set, only bpftrace lines containing this text (given the run) are counted.</param>
/// <param name="NeedsDnsServer">Whether dnsmasq must run.</param>
internal sealed record Workload(
    string Name,
    string Program,
    long DefaultCount,
    Func<RunContext, IReadOnlyList<string>> Arguments,
    string Probe,
    bool RecordReadOpens,
    Func<long, long> ExpectedRows,
    string CountSql,
    string Bpftrace,
    TraceOwner TraceOwner,
    Func<long, long> ExpectedTraceLines,
    Func<RunContext, string>? TraceFilter = null,
    bool NeedsDnsServer = false)
{
    /// <summary>The table the probe's rows go to.</summary>
    public string Table => $"ebpf_{Probe}_events";

    /// <summary>Rows per operation, without the fixed part some workloads add once.</summary>
    public double RowsPerOperation => (ExpectedRows(1000) - ExpectedRows(0)) / 1000.0;

    // O_WRONLY | O_RDWR | O_CREAT | O_TRUNC: an open that can change the file, as the file probe records by default.
    private const string WriteOpen = "(args->flags & 0x243) != 0";

    private const string FileBpftrace = """
        tracepoint:syscalls:sys_enter_openat /FILTER/ { printf("%d %d open %x %s\n", pid, curtask->real_parent->tgid, args->flags, str(args->filename)); }
        tracepoint:syscalls:sys_enter_rename { printf("%d %d rename %s %s\n", pid, curtask->real_parent->tgid, str(args->oldname), str(args->newname)); }
        tracepoint:syscalls:sys_enter_renameat, tracepoint:syscalls:sys_enter_renameat2 { printf("%d %d rename %s %s\n", pid, curtask->real_parent->tgid, str(args->oldname), str(args->newname)); }
        tracepoint:syscalls:sys_enter_unlink, tracepoint:syscalls:sys_enter_unlinkat { printf("%d %d unlink %s\n", pid, curtask->real_parent->tgid, str(args->pathname)); }
        """;

    public static readonly IReadOnlyList<Workload> All =
    [
        // Per exec: the execve row and the child's exit row. bpftrace: execve enter and exit, process exit.
        new("exec", "exec_storm", 2_000, _ => [], "process", false, ops => 2 * ops,
            "select syscall as kind, count(*) as n from ebpf_process_events where eid > {eid} and parent = {pid} group by syscall;",
            """
            tracepoint:syscalls:sys_enter_execve { printf("%d %d execve %s\n", pid, curtask->real_parent->tgid, str(args->filename)); }
            tracepoint:syscalls:sys_exit_execve { printf("%d %d execve_exit %d\n", pid, curtask->real_parent->tgid, args->ret); }
            tracepoint:sched:sched_process_exit /pid == tid/ { printf("%d %d exit\n", pid, curtask->real_parent->tgid); }
            """,
            TraceOwner.Parent, ops => 3 * ops),
        // Per iteration: create (openat with O_CREAT), rename, unlink; write and close are not file events.
        new("file", "file_storm", 20_000, context => [context.ScratchFolder], "file", false, ops => 3 * ops,
            "select action as kind, count(*) as n from ebpf_file_events where eid > {eid} and pid = {pid} and path like '{dir}/%' group by action;",
            FileBpftrace.Replace("FILTER", WriteOpen), TraceOwner.Pid, ops => 3 * ops, context => context.ScratchFolder),
        // Opens for reading only, with record_read_opens off: nothing may be recorded; this measures the cost of the
        // in-kernel filter on a hot path.
        new("open-read-off", "open_loop", 400_000, context => [context.ReadTarget], "file", false, _ => 0,
            "select action as kind, count(*) as n from ebpf_file_events where eid > {eid} and pid = {pid} and path = '{target}' group by action;",
            FileBpftrace.Replace("FILTER", WriteOpen), TraceOwner.Pid, _ => 0, context => context.ReadTarget),
        new("open-read-on", "open_loop", 400_000, context => [context.ReadTarget], "file", true, ops => ops,
            "select action as kind, count(*) as n from ebpf_file_events where eid > {eid} and pid = {pid} and path = '{target}' group by action;",
            FileBpftrace.Replace("FILTER", "1"), TraceOwner.Pid, ops => ops, context => context.ReadTarget),
        // Per connection: connect, accept, close of both ends; once: bind, listen, close of the listener.
        // bpftrace prints every close of the process (it cannot tell sockets apart cheaply): the loader's two
        // closes at start-up and the listener's come on top.
        new("connect", "connect_storm", 20_000, _ => [], "socket", false, ops => 4 * ops + 3,
            "select action as kind, count(*) as n from ebpf_socket_events where eid > {eid} and pid = {pid} group by action;",
            """
            tracepoint:syscalls:sys_exit_connect { printf("%d %d connect %d\n", pid, curtask->real_parent->tgid, args->ret); }
            tracepoint:syscalls:sys_exit_accept, tracepoint:syscalls:sys_exit_accept4 { printf("%d %d accept %d\n", pid, curtask->real_parent->tgid, args->ret); }
            tracepoint:syscalls:sys_enter_close { printf("%d %d close %d\n", pid, curtask->real_parent->tgid, args->fd); }
            """,
            TraceOwner.Pid, ops => 4 * ops + 3),
        // Per query: the query and the response, both attributed to the querying process. bpftrace sees the
        // workload's send and receive syscalls (it has no DNS parser; dnsmasq's own syscalls are printed too).
        new("dns", "dns_storm", 15_000, context => [context.DnsAddress, "53"], "dns", false, ops => 2 * ops,
            "select kind, count(*) as n from ebpf_dns_events where eid > {eid} and pid = {pid} and name like '%.bench.test' group by kind;",
            """
            tracepoint:syscalls:sys_enter_sendto { printf("%d %d sendto %d\n", pid, curtask->real_parent->tgid, args->len); }
            tracepoint:syscalls:sys_exit_recvfrom { printf("%d %d recvfrom %d\n", pid, curtask->real_parent->tgid, args->ret); }
            tracepoint:syscalls:sys_enter_sendmsg { printf("%d %d sendmsg\n", pid, curtask->real_parent->tgid); }
            tracepoint:syscalls:sys_exit_recvmsg { printf("%d %d recvmsg %d\n", pid, curtask->real_parent->tgid, args->ret); }
            """,
            TraceOwner.Pid, ops => 2 * ops, NeedsDnsServer: true),
    ];
}
