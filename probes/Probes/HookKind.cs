namespace OsqueryBpf.Probes;

/// <summary>How a program is attached.</summary>
public enum HookKind
{
    /// <summary>A tracefs tracepoint through perf_event_open (<c>SEC("tracepoint/GROUP/NAME")</c>); needs tracefs.</summary>
    Tracepoint,

    /// <summary>A BTF-typed raw tracepoint (<c>SEC("tp_btf/NAME")</c>), attached by BPF_RAW_TRACEPOINT_OPEN or a link.</summary>
    BtfTracepoint,

    /// <summary>A socket filter (<c>SEC("socket")</c>) that the runner attaches to an AF_PACKET socket for every interface.</summary>
    SocketFilter,
}
