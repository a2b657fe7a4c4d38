using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Object.Btf;

namespace OsqueryBpf.Bpf.Btf;

/// <summary>
/// The running kernel's BTF (/sys/kernel/btf/vmlinux), read and parsed once per process on first use.
/// CO-RE relocation and tp_btf attach ids are resolved against it.
/// </summary>
public static class KernelBtf
{
    /// <summary>Where the kernel exposes its BTF (CONFIG_DEBUG_INFO_BTF, Linux 5.4+).</summary>
    public const string VmlinuxPath = "/sys/kernel/btf/vmlinux";

    private static readonly object s_gate = new();
    private static BtfSpec? s_spec;
    private static KernelBtfFeatures? s_features;

    /// <summary>Whether the kernel exposes its BTF.</summary>
    public static bool IsAvailable => File.Exists(VmlinuxPath);

    /// <summary>The parsed kernel BTF. Throws <see cref="KernelFeatureNotSupportedException"/> when the kernel has none.</summary>
    public static BtfSpec Spec
    {
        get
        {
            lock (s_gate)
                return s_spec ??= Load();
        }
    }

    /// <summary>
    /// What the kernel offers as its BTF describes it (helpers, program and map types, tracepoint prototypes), for
    /// choosing programs and settings before loading. Throws like <see cref="Spec"/>.
    /// </summary>
    public static KernelBtfFeatures Features
    {
        get
        {
            lock (s_gate)
                return s_features ??= new KernelBtfFeatures(Spec);
        }
    }

    /// <summary>
    /// Drops the cached kernel BTF (tens of MiB once indexed). A long-running process calls this once its programs
    /// are loaded; a later <see cref="Spec"/> reads it again.
    /// </summary>
    public static void Release()
    {
        lock (s_gate)
        {
            s_spec = null;
            s_features = null;
        }
    }

    /// <summary>Reads and parses the kernel BTF (not cached): what <see cref="Spec"/> does once.</summary>
    public static BtfSpec Load()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(VmlinuxPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new KernelFeatureNotSupportedException("kernel BTF (CONFIG_DEBUG_INFO_BTF)", KernelFeatures.KernelBtfMinimumKernel, Errno.ENOENT,
                $"{VmlinuxPath} does not exist, so CO-RE programs and BTF tracepoints cannot be loaded; use a kernel built with CONFIG_DEBUG_INFO_BTF=y.", e);
        }
        return BtfSpec.Parse(bytes);
    }

    /// <summary>
    /// The kernel BTF id of the typedef 'btf_trace_&lt;tracepoint&gt;' that a tp_btf program names as its
    /// attach_btf_id.
    /// </summary>
    public static uint TracepointTypeId(string tracepoint)
    {
        if (!Spec.TryFindBtfTracepoint(tracepoint, out var id))
            throw new KernelFeatureNotSupportedException($"the BTF tracepoint '{tracepoint}'", null, Errno.ENOENT,
                $"The kernel BTF has no type 'btf_trace_{tracepoint}'; check the tracepoint name (tracefs lists them under events/).");
        return (uint)id;
    }
}
