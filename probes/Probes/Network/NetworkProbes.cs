using OsqueryBpf.Probes.Decoding;

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
            new("dns_packet", HookKind.SocketFilter, "AF_PACKET"),
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
        CreateDecoder = (_, clock) => new DnsEventDecoder(clock),
    };

    private static ProbeHook[] Tracepoints(string programPrefix, string eventPrefix, string[] syscalls) =>
        syscalls.Select(s => new ProbeHook(programPrefix + s, HookKind.Tracepoint, "syscalls/" + eventPrefix + s)).ToArray();
}
