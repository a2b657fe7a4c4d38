using System.Diagnostics;

namespace OsqueryBpf.KernelMatrix;

/// <summary>How one boot ended, before it is judged.</summary>
internal enum GuestEnd
{
    /// <summary>qemu exited by itself: the guest powered off, or the kernel panicked (panic=-1 reboots, -no-reboot exits).</summary>
    Exited,

    /// <summary>/init never said it started within the boot timeout.</summary>
    BootTimeout,

    /// <summary>The guest started but gave no verdict within the run timeout.</summary>
    RunTimeout,
}

/// <summary>One boot of one kernel: what the report port said, the console log, and the times.</summary>
internal sealed record GuestAttempt(GuestReport Report, GuestEnd End, string ConsoleLog, string ConsoleLogPath, double? BootSeconds, double Seconds)
{
    /// <summary>The report port's lines, kept beside the console log (&lt;name&gt;.report.log).</summary>
    public string ReportLogPath => ReportLogFor(ConsoleLogPath);

    public static string ReportLogFor(string consoleLogPath) => consoleLogPath.Replace(".console.log", ".report.log", StringComparison.Ordinal);
}

/// <summary>
/// Boots a kernel with the guest image under qemu: the kernel console on the first serial port (written to a
/// log file), the guest's report on a port of its own (qemu's stdout, read line by line and kept in a second log).
/// A hard timeout kills qemu (the process this class started, by its id).
/// </summary>
internal static class QemuGuest
{
    public static GuestAttempt Boot(GuestArchitecture arch, string kernel, string image, string consoleLogPath,
        TimeSpan bootTimeout, TimeSpan runTimeout, Action<string>? onReportLine = null)
    {
        var qemu = Tool.Find(arch.QemuSystem) ?? throw new FileNotFoundException($"{arch.QemuSystem} is not installed (apt-get install {arch.QemuPackage}).");
        Directory.CreateDirectory(Path.GetDirectoryName(consoleLogPath)!);
        File.Delete(consoleLogPath);
        var start = new ProcessStartInfo(qemu)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in Arguments(arch, kernel, image, consoleLogPath))
            start.ArgumentList.Add(arg);

        var report = new GuestReport();
        using var reportLog = new StreamWriter(GuestAttempt.ReportLogFor(consoleLogPath)) { AutoFlush = true };
        var gate = new object();
        double? bootSeconds = null;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + qemu);
        process.StandardInput.Close();
        var stderr = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (gate)
            {
                reportLog.WriteLine(e.Data.TrimEnd('\r'));
                report.Add(e.Data);
                if (report.InitStarted && bootSeconds is null)
                    bootSeconds = clock.Elapsed.TotalSeconds;
            }
            onReportLine?.Invoke(e.Data.TrimEnd('\r'));
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var end = GuestEnd.Exited;
        while (!process.WaitForExit(100))
        {
            bool started, judged;
            lock (gate)
            {
                started = report.InitStarted;
                judged = report.Verdict is not null || report.GuestExitCode is not null;
            }
            if (judged)
            {
                // The guest powers off right after its verdict; one that does not is stopped after a grace period.
                process.WaitForExit(30_000);
                break;
            }
            if (!started && clock.Elapsed > bootTimeout)
            {
                end = GuestEnd.BootTimeout;
                break;
            }
            if (clock.Elapsed > runTimeout)
            {
                end = GuestEnd.RunTimeout;
                break;
            }
        }
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(10_000);
        }
        process.WaitForExit(); // drains the redirected output
        var console = File.Exists(consoleLogPath) ? File.ReadAllText(consoleLogPath) : "";
        if (process.ExitCode != 0 && end == GuestEnd.Exited && stderr.Length > 0)
            console += "\n[qemu exited with " + process.ExitCode + "] " + stderr;
        return new GuestAttempt(report, end, console, consoleLogPath, bootSeconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The qemu command line: no default devices, no display, the console on the first serial port and the
    /// architecture's report port on stdio, TCG (see <see cref="GuestArchitecture"/>), 2 CPUs and 2 GiB.
    /// panic=-1 and oops=panic turn a dying kernel into a prompt exit (with -no-reboot) instead of a hang, so it
    /// is retried rather than waited for.
    /// </summary>
    public static IReadOnlyList<string> Arguments(GuestArchitecture arch, string kernel, string image, string consoleLogPath) =>
    [
        "-nodefaults", "-display", "none", "-no-reboot",
        .. arch.QemuMachine,
        "-m", "2G", "-smp", "2",
        "-kernel", kernel, "-initrd", image,
        "-append", string.Join(' ', new[] { "console=" + arch.Console, arch.ExtraKernelArguments, "panic=-1", "oops=panic" }.Where(a => a.Length > 0)),
        "-serial", "file:" + consoleLogPath,
        .. arch.QemuReportPort,
    ];
}
