using OsqueryBpf.Bpf.Object;

namespace OsqueryBpf.Probes.Runtime;

/// <summary>How a program is attached; read from its <c>SEC()</c> name.</summary>
public enum HookKind
{
    /// <summary>A tracefs tracepoint through perf_event_open (<c>SEC("tracepoint/GROUP/NAME")</c>); needs tracefs.</summary>
    Tracepoint,

    /// <summary>A raw tracepoint (<c>SEC("raw_tracepoint/NAME")</c>), attached by name with BPF_RAW_TRACEPOINT_OPEN.</summary>
    RawTracepoint,

    /// <summary>A BTF-typed raw tracepoint (<c>SEC("tp_btf/NAME")</c>), attached by BPF_RAW_TRACEPOINT_OPEN or a link.</summary>
    BtfTracepoint,

    /// <summary>A socket filter (<c>SEC("socket")</c>) that the runtime attaches to an AF_PACKET socket for every interface.</summary>
    SocketFilter,
}

/// <summary>Hook kinds of programs, and from which kernel each exists.</summary>
public static class HookKinds
{
    /// <summary>The first kernel whose syscall tracepoints BPF programs can attach to.</summary>
    public const string TracepointKernel = "4.7";

    /// <summary>The first kernel with raw tracepoints.</summary>
    public const string RawTracepointKernel = "4.17";

    /// <summary>The first kernel with BTF tracepoints (tp_btf programs).</summary>
    public const string BtfTracepointKernel = "5.5";

    /// <summary>The first kernel that runs eBPF socket filters.</summary>
    public const string SocketFilterKernel = "3.19";

    /// <summary>The hook kind of a program, from its type and expected attach type; null for kinds probes do not use.</summary>
    public static HookKind? Of(ProgramSpec program) => program.Type switch
    {
        ProgramType.TracePoint => HookKind.Tracepoint,
        ProgramType.RawTracepoint => HookKind.RawTracepoint,
        ProgramType.Tracing when program.ExpectedAttachType == AttachType.TraceRawTracepoint => HookKind.BtfTracepoint,
        ProgramType.SocketFilter => HookKind.SocketFilter,
        _ => null,
    };

    /// <summary>The first kernel with hooks of this kind.</summary>
    public static string MinimumKernel(HookKind kind) => kind switch
    {
        HookKind.Tracepoint => TracepointKernel,
        HookKind.RawTracepoint => RawTracepointKernel,
        HookKind.BtfTracepoint => BtfTracepointKernel,
        _ => SocketFilterKernel,
    };
}
