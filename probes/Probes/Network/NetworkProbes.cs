using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.Probes.Kernel;

namespace OsqueryBpf.Probes.Network;

/// <summary>The socket and DNS probes (probes/bpf/socket.bpf.c and dns.bpf.c) as the runner loads them.</summary>
public static class NetworkProbes
{
    /// <summary>Bytes of each DNS payload copied into a record: enough for ordinary answers, capped by the record layout.</summary>
    public const uint DnsPayloadLimit = 1232; // the EDNS buffer size DNS flag day 2020 recommends

    /// <summary>connect, accept, bind, listen and close of IPv4 and IPv6 sockets: <c>ebpf_socket_events</c>.</summary>
    public static ProbeDefinition Socket { get; } = new()
    {
        Name = "socket",
        ObjectResource = "socket.bpf.o",
        Table = "ebpf_socket_events",
        RingMap = "socket_events",
        LostMap = "socket_events_lost",
        Hooks =
        [
            .. Tracepoints("sys_enter_", "sys_enter_", ["connect", "accept", "accept4", "bind", "listen", "close"]),
            .. Tracepoints("sys_exit_", "sys_exit_", ["connect", "accept", "accept4", "bind", "listen", "close"]),
        ],
        BuildConstants = settings =>
        {
            settings.Validate();
            return
            [
                ProbeDefinitions.Constant("ignore_tgid", (uint)settings.IgnoredProcessId),
                ProbeDefinitions.Constant("ring_wakeup_bytes", (uint)settings.RingWakeupBytes),
                ProbeDefinitions.Constant("record_executable", settings.RecordExecutable),
            ];
        },
        CreateDecoder = (_, clock) => new SocketRecordDecoder(clock),
    };

    /// <summary>Every DNS message on the host, from a socket filter joined with a port-to-process map: <c>ebpf_dns_events</c>.</summary>
    public static ProbeDefinition Dns { get; } = new()
    {
        Name = "dns",
        ObjectResource = "dns.bpf.o",
        Table = "ebpf_dns_events",
        RingMap = "dns_events",
        LostMap = "dns_events_lost",
        Hooks =
        [
            new("dns_packet", HookKind.SocketFilter, "AF_PACKET", "3.19"),
            .. Tracepoints("dns_exit_", "sys_exit_", ["connect", "bind", "accept", "accept4"]),
        ],
        // The extension's own tgid is not ignored here: its DNS lookups are not a feedback loop (the store makes none).
        BuildConstants = settings =>
        {
            settings.Validate();
            return
            [
                ProbeDefinitions.Constant("ring_wakeup_bytes", (uint)settings.RingWakeupBytes),
                ProbeDefinitions.Constant("payload_limit", DnsPayloadLimit),
            ];
        },
        KernelConstants = kernel =>
        [
            ProbeDefinitions.Constant("filter_sees_task", SocketFilterSeesTask(kernel)),
            ProbeDefinitions.Constant("filter_has_cgroup_id", kernel.CanCall(ProgramType.SocketFilter, "get_current_cgroup_id")),
        ],
        CreateDecoder = (_, clock) => new DnsEventDecoder(clock),
    };

    /// <summary>
    /// Whether a socket filter may call every helper dns_packet needs to know the task sending a packet: the current
    /// task (typed where the kernel has bpf_get_current_task_btf), its saved registers (bpf_task_pt_regs, or probe
    /// reads of the kernel stack before it exists), and probe reads. Each program type has its own helper list, which
    /// grows from release to release, so the verifier is asked (<see cref="IKernelProfile.CanCall"/>).
    /// </summary>
    public static bool SocketFilterSeesTask(IKernelProfile kernel)
    {
        const ProgramType filter = ProgramType.SocketFilter;
        var task = kernel.HasHelper("get_current_task_btf") ? "get_current_task_btf" : "get_current_task";
        return kernel.CanCall(filter, task)
            && (!kernel.HasHelper("task_pt_regs") || kernel.CanCall(filter, "task_pt_regs"))
            && kernel.CanCall(filter, "probe_read_kernel")
            && kernel.CanCall(filter, "probe_read_kernel_str");
    }

    private static ProbeHook[] Tracepoints(string programPrefix, string eventPrefix, string[] syscalls) =>
        syscalls.Select(s => new ProbeHook(programPrefix + s, HookKind.Tracepoint, "syscalls/" + eventPrefix + s,
            ProbeDefinitions.SyscallTracepointsKernel)).ToArray();
}
