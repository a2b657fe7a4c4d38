using OsqueryBpf.Bpf.Object;

namespace OsqueryBpf.Probes.Kernel;

/// <summary>
/// What the probes need to know about a kernel to choose their programs and settings before loading them.
/// <see cref="RunningKernel"/> asks the running kernel; tests describe kernels they do not run on.
/// </summary>
public interface IKernelProfile
{
    /// <summary>The kernel's release, for messages ("6.1.0-50-cloud-amd64").</summary>
    string Release { get; }

    /// <summary>How many arguments the BTF tracepoint passes to a tp_btf program; null when the kernel has no such tracepoint.</summary>
    int? TracepointArguments(string tracepoint);

    /// <summary>Whether programs of <paramref name="programType"/> may call helper <paramref name="helper"/> (its name without <c>bpf_</c>).</summary>
    bool CanCall(ProgramType programType, string helper);

    /// <summary>Whether the kernel has helper <paramref name="helper"/> at all (in any program type).</summary>
    bool HasHelper(string helper);
}
