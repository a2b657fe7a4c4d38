using OsqueryBpf.Bpf;
using OsqueryBpf.Bpf.Btf;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Bpf.Programs;

namespace OsqueryBpf.Probes.Kernel;

/// <summary>
/// The running kernel as its BTF describes it (helpers, tracepoint prototypes) and as its verifier answers (which
/// helpers a program type may call: <see cref="HelperProbe"/>).
/// </summary>
public sealed class RunningKernel : IKernelProfile
{
    private readonly KernelBtfFeatures _features;

    private RunningKernel(KernelBtfFeatures features) => _features = features;

    /// <summary>The running kernel. Throws <see cref="Bpf.Errors.KernelFeatureNotSupportedException"/> when it has no BTF.</summary>
    public static RunningKernel Open() => new(KernelBtf.Features);

    /// <inheritdoc />
    public string Release => KernelVersion.Running;

    /// <inheritdoc />
    public int? TracepointArguments(string tracepoint) => _features.TracepointArgumentCount(tracepoint);

    /// <inheritdoc />
    public bool HasHelper(string helper) => _features.HasHelper(helper);

    /// <inheritdoc />
    public bool CanCall(ProgramType programType, string helper) =>
        _features.HelperId(helper) is { } id && HelperProbe.CanCall(programType, id);
}
