using OsqueryBpf.Bpf.Btf;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Object.Btf;

namespace OsqueryBpf.Bpf;

/// <summary>What <see cref="MemlockLimit.EnsureRaised"/> found and did.</summary>
public enum MemlockOutcome
{
    /// <summary>The kernel charges BPF memory to its memory cgroup (Linux 5.11+): the limit does not matter and was left alone.</summary>
    NotCharged,
    /// <summary>The kernel charges RLIMIT_MEMLOCK and the limit was already unlimited.</summary>
    AlreadyUnlimited,
    /// <summary>The kernel charges RLIMIT_MEMLOCK and the limit was raised to unlimited.</summary>
    Raised,
    /// <summary>The kernel charges RLIMIT_MEMLOCK and the limit could not be raised (no CAP_SYS_RESOURCE): maps may fail with EPERM.</summary>
    RaiseFailed,
}

/// <summary>
/// RLIMIT_MEMLOCK and BPF. Before Linux 5.11 the kernel charges the memory of every BPF map, program and BTF object
/// to the loading process's locked-memory limit, which is 64 KiB by default before 5.16: one ring buffer exceeds it
/// and BPF_MAP_CREATE fails with EPERM. From 5.11 that memory is charged to the memory cgroup and the limit plays no
/// part, so it is left alone there (raising it needs CAP_SYS_RESOURCE, which many deployments drop).
/// </summary>
public static class MemlockLimit
{
    private static readonly object s_gate = new();
    private static MemlockOutcome? s_outcome;

    /// <summary>
    /// Whether a kernel charges BPF memory to RLIMIT_MEMLOCK. The memory-cgroup accounting of 5.11 came with the
    /// helper bpf_ktime_get_coarse_ns in the same release, so the kernel's BTF answers without a version guess
    /// (libbpf decides the same way); without kernel BTF, the release number decides.
    /// </summary>
    public static bool KernelCharges(KernelBtfFeatures? kernel, Version? release)
    {
        if (kernel is not null)
            return !kernel.HasHelper("ktime_get_coarse_ns");
        return release is not null && release < new Version(5, 11);
    }

    /// <summary>
    /// Raises RLIMIT_MEMLOCK to unlimited when the running kernel charges BPF memory to it; does nothing on other
    /// kernels. Decided once per process; later calls return the first outcome. Never throws: a limit that cannot
    /// be raised shows as <see cref="MemlockOutcome.RaiseFailed"/> and in the hint of the EPERM that follows.
    /// </summary>
    public static MemlockOutcome EnsureRaised()
    {
        lock (s_gate)
        {
            if (s_outcome is { } known)
                return known;
            KernelBtfFeatures? features = null;
            if (KernelBtf.IsAvailable)
            {
                try
                {
                    features = KernelBtf.Features;
                }
                catch (Exception e) when (e is Errors.BpfException or Object.BpfObjectException or IOException)
                {
                    // Decided by the release below; the load that follows reports the BTF problem itself.
                }
            }
            s_outcome = KernelCharges(features, KernelVersion.RunningVersion) ? Raise() : MemlockOutcome.NotCharged;
            return s_outcome.Value;
        }
    }

    /// <summary>A sentence for an EPERM from bpf(2) when the memlock limit is its likely cause, else null.</summary>
    internal static string? Hint()
    {
        MemlockOutcome? outcome;
        lock (s_gate)
            outcome = s_outcome;
        if (outcome != MemlockOutcome.RaiseFailed)
            return null;
        var limit = Libc.GetMemlockLimit(out var soft, out _) == Errno.None ? $"{soft / 1024} KiB" : "limited";
        return $"This kernel charges BPF memory to RLIMIT_MEMLOCK (before Linux 5.11), which is {limit} and could not be raised: " +
            "run with CAP_SYS_RESOURCE or a higher limit (ulimit -l unlimited, LimitMEMLOCK=infinity in a systemd unit).";
    }

    private static MemlockOutcome Raise()
    {
        if (Libc.GetMemlockLimit(out var soft, out var hard) == Errno.None && soft == ulong.MaxValue)
            return MemlockOutcome.AlreadyUnlimited;
        if (Libc.SetMemlockLimit(ulong.MaxValue, ulong.MaxValue) == Errno.None)
            return MemlockOutcome.Raised;
        // Without CAP_SYS_RESOURCE the soft limit can still go up to the hard one.
        if (hard > soft)
            Libc.SetMemlockLimit(hard, hard);
        return MemlockOutcome.RaiseFailed;
    }
}
