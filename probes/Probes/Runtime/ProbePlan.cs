using OsqueryBpf.Probes.Kernel;

namespace OsqueryBpf.Probes.Runtime;

/// <summary>What a probe will do about one hook on a given kernel, decided before anything is loaded.</summary>
/// <param name="Hook">The hook.</param>
/// <param name="ProgramName">The program chosen to serve it; null when the kernel cannot serve it at all.</param>
/// <param name="Missing">Why the kernel cannot serve it, when <paramref name="ProgramName"/> is null.</param>
/// <param name="Fallback">Why a fallback program was chosen instead of the main one, when it was.</param>
public sealed record HookPlan(ProbeHook Hook, string? ProgramName, string? Missing, string? Fallback);

/// <summary>
/// A probe fitted to a kernel: for every hook the program to load (the main one, or the first fallback the kernel can
/// serve), the hooks the kernel cannot serve, and the .rodata constants (from the settings and from the kernel). The
/// programs not chosen are never loaded, like libbpf's autoload=false, so a variant an old verifier would refuse
/// never reaches it.
/// </summary>
public sealed class ProbePlan
{
    private ProbePlan(IReadOnlyList<HookPlan> hooks, IReadOnlyList<KeyValuePair<string, byte[]>> constants)
    {
        Hooks = hooks;
        Constants = constants;
        Programs = hooks.Where(h => h.ProgramName is not null).Select(h => h.ProgramName!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>One entry per hook of the probe, in the definition's order.</summary>
    public IReadOnlyList<HookPlan> Hooks { get; }

    /// <summary>The programs to load.</summary>
    public IReadOnlySet<string> Programs { get; }

    /// <summary>The .rodata constants to set before loading.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>> Constants { get; }

    /// <summary>Fits <paramref name="probe"/> with <paramref name="settings"/> and <paramref name="context"/> to <paramref name="kernel"/>.</summary>
    public static ProbePlan For(ProbeDefinition probe, ProbeSettings settings, ProbeContext context, IKernelProfile kernel)
    {
        var constants = probe.Constants(settings, context, kernel).ToList();
        return new ProbePlan(probe.Hooks.Select(h => Choose(h, kernel)).ToList(), constants);
    }

    internal static HookPlan Choose(ProbeHook hook, IKernelProfile kernel)
    {
        if (hook.AbsentOn is { } architecture)
            return new HookPlan(hook, null, $"{architecture.ToString().ToLowerInvariant()} kernels do not have it", null);
        if (hook.Kind != HookKind.BtfTracepoint)
            return new HookPlan(hook, hook.ProgramName, null, null); // whether a tracefs tracepoint exists shows when it is attached
        var arguments = kernel.TracepointArguments(hook.Target);
        if (arguments is null)
            return new HookPlan(hook, null, $"this kernel has no BTF tracepoint {hook.Target} (btf_trace_{hook.Target})", null);
        if (arguments >= hook.TracepointArguments)
            return new HookPlan(hook, hook.ProgramName, null, null);
        foreach (var fallback in hook.Fallbacks)
        {
            if (arguments >= fallback.TracepointArguments)
                return new HookPlan(hook, fallback.ProgramName, null, $"{fallback.ProgramName}: {fallback.Why}");
        }
        return new HookPlan(hook, null,
            $"the tracepoint passes {arguments} argument(s) on this kernel and {hook.ProgramName} reads {hook.TracepointArguments}", null);
    }
}
