using OsqueryBpf.Bpf.Interop;

namespace OsqueryBpf.Bpf.Errors;

/// <summary>The running kernel lacks a feature (a program type, map type, attach kind or kernel BTF).</summary>
public sealed class KernelFeatureNotSupportedException : BpfException
{
    internal KernelFeatureNotSupportedException(string feature, string? minimumKernel, Errno errno, string? detail = null, Exception? inner = null)
        : base(BuildMessage(feature, minimumKernel, detail), errno, inner)
    {
        Feature = feature;
        MinimumKernel = minimumKernel;
    }

    /// <summary>What is missing, for example "program type tp_btf (BPF_PROG_TYPE_TRACING)".</summary>
    public string Feature { get; }

    /// <summary>The first mainline kernel version that has the feature ("5.8"), when known.</summary>
    public string? MinimumKernel { get; }

    private static string BuildMessage(string feature, string? minimumKernel, string? detail)
    {
        var running = KernelVersion.Running;
        var requires = minimumKernel is null ? "" : $" (it requires Linux {minimumKernel} or later; this kernel is {running})";
        return $"This kernel does not support {feature}{requires}.{(detail is null ? "" : " " + detail)}";
    }
}
