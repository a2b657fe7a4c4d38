namespace OsqueryBpf.Probes;

/// <summary>One program of a probe and where it attaches.</summary>
/// <param name="ProgramName">The program (function) name in the object.</param>
/// <param name="Kind">The attach kind.</param>
/// <param name="Target"><c>group/name</c> for tracepoints (<c>syscalls/sys_exit_openat</c>), the event name for tp_btf.</param>
/// <param name="Optional">True when older kernels lack the hook (the probe runs without it; the loader logs it).</param>
public sealed record ProbeHook(string ProgramName, HookKind Kind, string Target, bool Optional = false)
{
    /// <summary>The attach point as shown in <c>ebpf_probes.hooks</c>, for example <c>tracepoint/syscalls/sys_exit_openat</c>.</summary>
    public override string ToString() => Kind switch
    {
        HookKind.Tracepoint => "tracepoint/" + Target,
        HookKind.BtfTracepoint => "tp_btf/" + Target,
        _ => "socket/" + Target,
    };
}
