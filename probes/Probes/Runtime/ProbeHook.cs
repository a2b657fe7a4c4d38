using System.Runtime.InteropServices;

namespace OsqueryBpf.Probes.Runtime;

/// <summary>One attach point of a probe, the program that serves it, and from which kernel it exists.</summary>
/// <param name="ProgramName">The program (function) name in the object, used wherever the kernel has what it needs.</param>
/// <param name="Kind">The attach kind.</param>
/// <param name="Target"><c>group/name</c> for tracepoints (<c>syscalls/sys_exit_openat</c>), the event name for tp_btf.</param>
/// <param name="MinimumKernel">The first mainline kernel with this hook (for <c>ebpf_probes.missing_hooks</c>).</param>
public sealed record ProbeHook(string ProgramName, HookKind Kind, string Target, string MinimumKernel)
{
    /// <summary>
    /// True when a kernel without the hook loses nothing by it: the hook is a syscall's tracepoint and a kernel
    /// without that syscall cannot be asked to make it (openat2, fchmodat2, and every hook of <see cref="AbsentOn"/>).
    /// The probe then still counts as running.
    /// </summary>
    public bool Optional { get; init; }

    /// <summary>
    /// The architecture the probe runs on, when its kernels never have this hook (arm64 has only the *at forms of
    /// the older file syscalls); null elsewhere. Such a hook is optional and never loaded.
    /// </summary>
    public Architecture? AbsentOn { get; init; }

    /// <summary>
    /// tp_btf: the tracepoint arguments <see cref="ProgramName"/> reads. A kernel whose tracepoint passes fewer gets the
    /// first of <see cref="Fallbacks"/> that it can serve (the verifier would refuse the program).
    /// </summary>
    public int TracepointArguments { get; init; }

    /// <summary>Programs for the same hook, for kernels that lack what <see cref="ProgramName"/> needs, in order of preference.</summary>
    public IReadOnlyList<HookFallback> Fallbacks { get; init; } = [];

    /// <summary>Every program that can serve this hook: the main one first, then the fallbacks.</summary>
    public IEnumerable<string> ProgramNames => Fallbacks.Select(f => f.ProgramName).Prepend(ProgramName);

    /// <summary>The attach point as shown in <c>ebpf_probes.hooks</c>, for example <c>tracepoint/syscalls/sys_exit_openat</c>.</summary>
    public override string ToString() => Kind switch
    {
        HookKind.Tracepoint => "tracepoint/" + Target,
        HookKind.RawTracepoint => "raw_tracepoint/" + Target,
        HookKind.BtfTracepoint => "tp_btf/" + Target,
        _ => "socket/" + Target,
    };
}

/// <summary>A program that serves a hook on kernels that lack what the hook's main program needs.</summary>
/// <param name="ProgramName">The program in the object.</param>
/// <param name="TracepointArguments">tp_btf: the tracepoint arguments it reads.</param>
/// <param name="Why">What the main program needs that this one does without, and from which kernel (for the status).</param>
public sealed record HookFallback(string ProgramName, int TracepointArguments, string Why);

/// <summary>
/// What a probe says about one of its hooks beyond its <c>SEC()</c> name: only hooks that are optional, need a newer
/// kernel than their kind, read tracepoint arguments older kernels lack, or have fallback programs are declared.
/// </summary>
/// <param name="ProgramName">The hook's main program.</param>
public sealed record HookDeclaration(string ProgramName)
{
    /// <summary>The first mainline kernel with this hook, when later than its kind's (<see cref="HookKinds"/>).</summary>
    public string? MinimumKernel { get; init; }

    /// <summary>See <see cref="ProbeHook.Optional"/>.</summary>
    public bool Optional { get; init; }

    /// <summary>
    /// The architectures whose kernels do not have this hook at all: a syscall they never had (arm64, like every
    /// architecture after it, has openat but not open). Optional there; elsewhere as <see cref="Optional"/> says.
    /// </summary>
    public IReadOnlyList<Architecture> AbsentOn { get; init; } = [];

    /// <summary>See <see cref="ProbeHook.TracepointArguments"/>.</summary>
    public int TracepointArguments { get; init; }

    /// <summary>See <see cref="ProbeHook.Fallbacks"/>.</summary>
    public IReadOnlyList<HookFallback> Fallbacks { get; init; } = [];
}
