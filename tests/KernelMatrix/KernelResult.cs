namespace OsqueryBpf.KernelMatrix;

/// <summary>One kernel's result: the outcome, why, and the last attempt's report and times.</summary>
internal sealed record KernelResult(string Name, DebianKernel? Kernel, Outcome Outcome, string Reason, GuestReport? Report,
    int Attempts, double? BootSeconds, string? ConsoleLogPath)
{
    /// <summary>"3/4" and the probes that did not run, for the table.</summary>
    public string ProbesColumn
    {
        get
        {
            if (Report is null || Report.Probes.Count == 0)
                return "-";
            var notRunning = Report.Probes.Where(p => p.Status != "running").Select(p => p.Name).ToList();
            var text = $"{Report.Probes.Count - notRunning.Count}/{Report.Probes.Count}";
            return notRunning.Count == 0 ? text : $"{text} (not running: {string.Join(", ", notRunning)})";
        }
    }

    public string ChecksColumn => Report is null || Report.Checks.Count == 0 ? "-" : $"{Report.Checks.Count(c => c.Holds)}/{Report.Checks.Count}";

    public double? LoadSeconds => Report?.Verdict?.LoadSeconds;
}
