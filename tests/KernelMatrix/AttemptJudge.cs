namespace OsqueryBpf.KernelMatrix;

/// <summary>Judges one boot: a verdict is final; a kernel that died is worth another boot; anything else is a failure.</summary>
internal static class AttemptJudge
{
    /// <summary>Console lines that mean the kernel itself died.</summary>
    private static readonly string[] KernelDeathMarkers =
        ["Kernel panic", "Oops:", "general protection fault", "BUG: unable to handle", "BUG: soft lockup", "Attempted to kill init"];

    public static (Outcome Outcome, string Reason) Judge(GuestAttempt attempt)
    {
        var report = attempt.Report;
        if (report.Verdict is { } verdict)
            return verdict.Pass ? (Outcome.Passed, "") : (Outcome.Failed, FailureSummary(report));
        var death = KernelDeath(attempt.ConsoleLog);
        if (!report.InitStarted)
        {
            return attempt.End == GuestEnd.BootTimeout
                ? (Outcome.KernelDied, $"the kernel did not reach /init within {attempt.Seconds:0} s" + (death is null ? "" : ": " + death))
                : (Outcome.KernelDied, "the kernel died while booting: " + (death ?? LastLine(attempt.ConsoleLog)));
        }
        if (death is not null)
            return (Outcome.KernelDied, "the kernel died during the run: " + death);
        var how = attempt.End == GuestEnd.RunTimeout
            ? $"no verdict within {attempt.Seconds:0} s"
            : report.GuestExitCode is { } code ? $"the guest program exited with {code} without a verdict" : "the guest stopped without a verdict";
        var said = report.Errors.Count > 0 ? ": " + string.Join("; ", report.Errors) : "";
        return (Outcome.Failed, how + said);
    }

    /// <summary>The first console line that shows the kernel dying, or null.</summary>
    public static string? KernelDeath(string console) =>
        console.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => KernelDeathMarkers.Any(m => l.Contains(m, StringComparison.Ordinal)));

    /// <summary>
    /// The probes that did not run (with ebpf_probes.error, cut after <paramref name="errorChars"/> characters: it
    /// repeats per program, and the report log has it whole) and the checks that did not hold.
    /// </summary>
    public static string FailureSummary(GuestReport report, int errorChars = 600)
    {
        static string Cut(string text, int limit) => text.Length <= limit ? text : text[..limit] + $" ... ({text.Length} characters)";
        var parts = report.Probes.Where(p => p.Status != "running").Select(p => $"probe {p.Name} {p.Status}: {Cut(p.Error, errorChars)}")
            .Concat(report.Checks.Where(c => !c.Holds).Select(c => $"check {c.Name}: {c.Detail}"))
            .Concat(report.Errors)
            .ToList();
        if (report.Checks.Any(c => !c.Holds) && report.Stats.Count > 0)
            parts.Add("ebpf_probes after the checks: " + string.Join("; ", report.Stats));
        return string.Join("\n", parts);
    }

    private static string LastLine(string console) =>
        console.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no console output";
}
