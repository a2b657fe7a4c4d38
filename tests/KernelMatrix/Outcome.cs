namespace OsqueryBpf.KernelMatrix;

/// <summary>The verdict on one kernel.</summary>
internal enum Outcome
{
    /// <summary>Every probe running and every check held.</summary>
    Passed,

    /// <summary>A probe did not run, a check did not hold, or the guest program ended without a verdict.</summary>
    Failed,

    /// <summary>The kernel died (panic, oops, or no /init) in every attempt.</summary>
    KernelDied,

    /// <summary>The archive did not deliver the kernel (a skip locally, a failure under CI).</summary>
    Unavailable,
}
