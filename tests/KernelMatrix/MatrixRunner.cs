using System.Diagnostics;

namespace OsqueryBpf.KernelMatrix;

/// <summary>Settings of a matrix run.</summary>
internal sealed record MatrixOptions
{
    /// <summary>Where console logs and the result table go.</summary>
    public required string LogDirectory { get; init; }

    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>The hard limit for one boot, from qemu's start to its exit; null for the architecture's (<see cref="GuestArchitecture.RunTimeout"/>).</summary>
    public TimeSpan? RunTimeout { get; init; }

    /// <summary>Boots per kernel when the kernel dies (6.12.95 oopses under TCG now and then).</summary>
    public int MaxAttempts { get; init; } = 3;
}

/// <summary>
/// Runs the guest on each kernel: fetch (cached), boot, judge; a kernel that died is booted again, up to
/// <see cref="MatrixOptions.MaxAttempts"/> times. A check failure is never retried.
/// </summary>
internal sealed class MatrixRunner
{
    private readonly GuestArchitecture _arch;
    private readonly DebianArchive _archive;
    private readonly string _image;
    private readonly MatrixOptions _options;
    private readonly Action<string> _log;

    public MatrixRunner(GuestArchitecture arch, DebianArchive archive, string image, MatrixOptions options, Action<string>? log = null)
    {
        _arch = arch;
        _archive = archive;
        _image = image;
        _options = options;
        _log = log ?? (_ => { });
    }

    public KernelResult Run(DebianKernel kernel)
    {
        string vmlinuz;
        try
        {
            vmlinuz = _archive.Fetch(kernel);
        }
        catch (ArchiveUnavailableException e)
        {
            return new KernelResult(kernel.Label, kernel, Outcome.Unavailable, e.Message, null, 0, null, null);
        }
        KernelResult? result = null;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            var log = Path.Combine(_options.LogDirectory, $"{kernel.Label}.attempt{attempt}.console.log");
            _log($"{kernel.Label}: booting {kernel.KernelPackage} (attempt {attempt})");
            var boot = QemuGuest.Boot(_arch, vmlinuz, _image, log, _options.BootTimeout, _options.RunTimeout ?? _arch.RunTimeout,
                line => _log($"{kernel.Label}: {line}"));
            var (outcome, reason) = AttemptJudge.Judge(boot);
            result = new KernelResult(kernel.Label, kernel, outcome, reason, boot.Report, attempt, boot.BootSeconds, log);
            _log($"{kernel.Label}: {outcome} after {boot.Seconds:0.0} s{(reason.Length > 0 && outcome != Outcome.Failed ? ": " + reason : "")}");
            if (outcome != Outcome.KernelDied)
                break;
        }
        return result!;
    }

    /// <summary>The guest program run directly on this machine's kernel, as a reference row.</summary>
    public static KernelResult RunOnHost(GuestPrograms programs, Action<string>? log = null)
    {
        var start = new ProcessStartInfo(programs.Guest) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "run", "--extension", programs.Extension })
            start.ArgumentList.Add(arg);
        if (programs.Dnsmasq is not null)
        {
            start.ArgumentList.Add("--dnsmasq");
            start.ArgumentList.Add(programs.Dnsmasq);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + programs.Guest);
        var stderr = process.StandardError.ReadToEndAsync();
        var report = new GuestReport();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            report.Add(line);
            log?.Invoke("host: " + line);
        }
        process.WaitForExit();
        var name = "host " + File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var (outcome, reason) = report.Verdict is { } v
            ? (v.Pass ? Outcome.Passed : Outcome.Failed, v.Pass ? "" : AttemptJudge.FailureSummary(report))
            : (Outcome.Failed, $"the guest program exited with {process.ExitCode} without a verdict: {string.Join("; ", report.Errors)} {Tail(stderr.Result)}");
        return new KernelResult(name, null, outcome, reason, report, 1, null, null);
    }

    private static string Tail(string text) =>
        string.Join(" / ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(5));
}
