namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>
/// The CI kernels that are known not to pass yet, each with the reason: the one place such a mark lives. A
/// listed kernel must still boot, run the guest program, show the extension's registration and every probe's
/// status with its reason, and end in a verdict (the harness works); and it must not pass. When it passes, its
/// test fails and says to remove the mark here, so a fix cannot go unnoticed and the mark cannot go stale.
/// </summary>
internal static class KnownFailures
{
    /// <summary>(architecture as uname -m names it, the CI kernel as <see cref="KernelSelection.Pick"/> names it, why).</summary>
    public static IReadOnlyList<(string Arch, string Series, string Reason)> List { get; } =
    [
        // None: every CI kernel of both architectures passes (the arm64 mark went when the probes learned arm64's
        // syscall registers, issue 17).
    ];

    public static string? Reason(GuestArchitecture arch, string series) =>
        List.FirstOrDefault(k => k.Arch == arch.Name && k.Series == series).Reason;
}
