namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>How a workload ran: on its own, under the extension, or under bpftrace.</summary>
internal enum Setup
{
    Alone,
    Extension,

    /// <summary>The extension with the --variant-env environment: a runtime knob tried side by side.</summary>
    Variant,
    Bpftrace,
}

/// <summary>
/// One run of one workload in one setup. Rows are table rows (extension) or output lines (bpftrace) of the
/// workload; Expected is what a complete capture holds for the operations performed; Drops are the probe's drop
/// counter (extension) or the events bpftrace reported lost; CollectorCpu is the collector process's CPU time
/// from just before the workload to 1 s after it; Ring is how full the probe's ring got (with --rings); PeakRssKiB is
/// the extension's VmHWM (highest resident set of its life) at the end of the run.
/// </summary>
internal sealed record Measurement(
    Workload Workload,
    Setup Setup,
    WorkloadResult Result,
    long Rows,
    long Expected,
    long Drops,
    CpuTimes CollectorCpu,
    string Breakdown,
    RingSample? Ring = null,
    long PeakRssKiB = 0)
{
    public static Measurement Alone(Workload workload, WorkloadResult result) =>
        new(workload, Setup.Alone, result, 0, 0, 0, default, "");
}
