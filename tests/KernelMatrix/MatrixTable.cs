using System.Globalization;
using System.Text;

namespace OsqueryBpf.KernelMatrix;

/// <summary>The matrix as a Markdown table (README's "Tested kernels" is made from it), then the failures in full.</summary>
internal static class MatrixTable
{
    public static string Markdown(IReadOnlyList<KernelResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| kernel | Debian package (suites) | probes running | checks held | boot s | probe load s | result |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
        {
            var package = r.Kernel is { } k ? $"{k.ImagePackage} {k.Version} ({string.Join(", ", k.Suites)})" : "-";
            var name = r.Kernel?.KernelVersion ?? r.Name;
            text.AppendLine($"| {name} | {package} | {r.ProbesColumn} | {r.ChecksColumn} | {Seconds(r.BootSeconds)} | {Seconds(r.LoadSeconds)} | {Result(r)} |");
        }
        return text.ToString();
    }

    /// <summary>Each kernel that did not pass: the probes' errors and the checks that failed, as the guest reported them.</summary>
    public static string Failures(IReadOnlyList<KernelResult> results)
    {
        var text = new StringBuilder();
        foreach (var r in results.Where(r => r.Outcome != Outcome.Passed))
        {
            text.AppendLine($"{r.Kernel?.ToString() ?? r.Name}: {Result(r)}{(r.ConsoleLogPath is null ? "" : $" (logs: {r.ConsoleLogPath}, {GuestAttempt.ReportLogFor(r.ConsoleLogPath)})")}");
            foreach (var line in r.Reason.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                text.AppendLine("  " + line);
        }
        return text.ToString();
    }

    /// <summary>The outcome; "boot 2" says the kernel died once and the second boot gave the verdict.</summary>
    private static string Result(KernelResult r) => r.Outcome switch
    {
        Outcome.Passed => r.Attempts > 1 ? $"pass (boot {r.Attempts})" : "pass",
        Outcome.Failed => r.Attempts > 1 ? $"FAIL (boot {r.Attempts})" : "FAIL",
        Outcome.KernelDied => $"kernel died ({r.Attempts} boots)",
        Outcome.Unavailable => "not fetched",
        _ => r.Outcome.ToString(),
    };

    private static string Seconds(double? s) => s is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";
}
