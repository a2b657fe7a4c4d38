using System.Text;
using OsqueryBpf.Bpf.Btf;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Probes.Kernel;
using OsqueryBpf.Probes.Runtime;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>
/// The running kernel presented to the probes as an older one, so the code paths that older kernels take run here,
/// against real workloads: helpers are hidden from the CO-RE target (their enumerators renamed in a copy of the
/// kernel's BTF, so bpf_core_enum_value_exists says no) and from the profile, and tracepoints can be given fewer
/// arguments than they have (the plan then picks the fallback that reads fewer). Nothing else changes: the programs
/// still run in this kernel, which has everything the older paths use.
/// </summary>
internal sealed class OlderKernel : IKernelProfile
{
    private readonly RunningKernel _real = RunningKernel.Open();
    private readonly HashSet<string> _hiddenHelpers;
    private readonly Dictionary<string, int> _tracepointArguments;

    private OlderKernel(string name, string[] hiddenHelpers, Dictionary<string, int> tracepointArguments)
    {
        Name = name;
        _hiddenHelpers = hiddenHelpers.ToHashSet();
        _tracepointArguments = tracepointArguments;
        CoreTarget = hiddenHelpers.Length == 0 ? null : HideHelpers(KernelBtf.Spec, hiddenHelpers);
    }

    /// <summary>As Linux 5.10: no bpf_get_current_task_btf (5.11), no bpf_task_pt_regs (5.15), sched_process_exit without group_dead (6.16).</summary>
    public static OlderKernel Linux510 { get; } = new("5.10", ["get_current_task_btf", "task_pt_regs"], new() { ["sched_process_exit"] = 1 });

    /// <summary>As Linux 6.1 to 6.15: every helper the probes use, but sched_process_exit without group_dead.</summary>
    public static OlderKernel Linux61 { get; } = new("6.1", [], new() { ["sched_process_exit"] = 1 });

    /// <summary>A kernel whose sched_process_exit passes no arguments: no exit program can serve it.</summary>
    public static OlderKernel WithoutUsableExitTracepoint { get; } = new("no usable exit tracepoint", [], new() { ["sched_process_exit"] = 0 });

    /// <summary>Which kernel this imitates.</summary>
    public string Name { get; }

    /// <summary>The BTF to relocate CO-RE against (null: the running kernel's own).</summary>
    public BtfSpec? CoreTarget { get; }

    public string Release => $"{_real.Release} (as {Name})";

    public int? TracepointArguments(string tracepoint) =>
        _tracepointArguments.TryGetValue(tracepoint, out var count) ? count : _real.TracepointArguments(tracepoint);

    public bool HasHelper(string helper) => !_hiddenHelpers.Contains(helper) && _real.HasHelper(helper);

    public bool CanCall(ProgramType programType, string helper) => !_hiddenHelpers.Contains(helper) && _real.CanCall(programType, helper);

    /// <summary>Loads <paramref name="probe"/> as it loads on this older kernel.</summary>
    public ProbeInstance Load(ProbeDefinition probe, ProbeSettings settings, ProbeContext context) =>
        ProbeInstance.Load(probe, settings, context, this, CoreTarget);

    /// <summary>A copy of <paramref name="kernel"/> whose enum bpf_func_id no longer names <paramref name="helpers"/>.</summary>
    internal static BtfSpec HideHelpers(BtfSpec kernel, IEnumerable<string> helpers)
    {
        var bytes = kernel.RawBytes.ToArray();
        foreach (var helper in helpers)
        {
            // The enumerator's name as a whole string of the string section: NUL, name, NUL.
            var name = Encoding.ASCII.GetBytes("\0BPF_FUNC_" + helper + "\0");
            var at = bytes.AsSpan().IndexOf(name);
            if (at < 0)
                throw new InvalidOperationException($"The kernel BTF has no enumerator BPF_FUNC_{helper} to hide.");
            bytes[at + name.Length - 2] = (byte)'X'; // same length, another name
        }
        return BtfSpec.Parse(bytes);
    }
}
