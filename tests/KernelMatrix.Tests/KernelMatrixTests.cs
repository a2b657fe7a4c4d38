using OsqueryBpf.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>
/// CI's kernel matrix: the newest Debian build of 5.10, 6.1, 6.12 and 6.16 and the newest released kernel, each
/// booted under qemu with the published extension and the ground-truth guest, on x86_64; and on arm64 the newest
/// kernel. A kernel passes when every probe runs and every check holds; the failure message is the guest's
/// report of what did not. A kernel listed in <see cref="KnownFailures"/> must instead fail, with a verdict.
/// </summary>
public sealed class KernelMatrixTests : IClassFixture<KernelMatrixFixture>
{
    private readonly KernelMatrixFixture _fixture;
    private readonly ITestOutputHelper _output;

    public KernelMatrixTests(KernelMatrixFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [SkippableTheory]
    [InlineData("5.10")]
    [InlineData("6.1")]
    [InlineData("6.12")]
    [InlineData("6.16")]
    [InlineData("newest")]
    public void Every_probe_runs_and_every_check_holds(string series)
    {
        Assert.Equal(KernelSelection.CiSeries.Append("newest"), new[] { "5.10", "6.1", "6.12", "6.16", "newest" });
        BootAndJudge(GuestArchitecture.X86_64, series);
    }

    /// <summary>
    /// arm64 guests (qemu-system-aarch64 -M virt, TCG): one kernel, the newest, because a TCG arm64 guest takes
    /// 1.5 to 3 minutes here (probe loading alone 40-110 s under TCG). Every probe must run and every check hold, as on
    /// x86_64.
    /// </summary>
    [SkippableTheory]
    [InlineData("newest")]
    public void Every_probe_runs_and_every_check_holds_on_arm64(string series) => BootAndJudge(GuestArchitecture.Arm64, series);

    private void BootAndJudge(GuestArchitecture arch, string series)
    {
        var (archive, kernels, image) = _fixture.Require(arch);
        var kernel = KernelSelection.Pick(kernels, series);
        Assert.True(kernel is not null, $"Debian serves no {series} {arch.KernelFlavour} kernel any more; apt-get update said: {string.Join(" / ", archive.Warnings)}");

        // Progress only: the guest's report lines are in the failure message and in the report log.
        var runner = new MatrixRunner(arch, archive, image, new MatrixOptions { LogDirectory = KernelMatrixFixture.LogDirectoryFor(arch) },
            line => { if (!line.Contains(": kmatrix: ", StringComparison.Ordinal)) _output.WriteLine(line); });
        var result = runner.Run(kernel);
        Requirements.Require(result.Outcome != Outcome.Unavailable, $"kernel {kernel}: {result.Reason}");
        _output.WriteLine(MatrixTable.Markdown([result]));
        var summary = $"{kernel} on {arch}: {result.Outcome} (probes {result.ProbesColumn}, checks {result.ChecksColumn}; logs {result.ConsoleLogPath}, " +
            $"{GuestAttempt.ReportLogFor(result.ConsoleLogPath!)})\n{result.Reason}";

        if (KnownFailures.Reason(arch, series) is { } known)
        {
            _output.WriteLine($"known failure ({known}):\n{result.Reason}");
            Assert.False(result.Outcome == Outcome.Passed,
                $"{kernel} on {arch} passed, but KnownFailures lists it ({known}): remove its mark from tests/KernelMatrix.Tests/KnownFailures.cs.");
            // The harness must still have worked: a guest that booted, ran, reported and judged.
            Assert.True(result.Outcome == Outcome.Failed && result.Report?.Verdict is not null, "no verdict from the guest: " + summary);
            AssertReported(arch, kernel, result.Report!, summary);
            return;
        }
        Assert.True(result.Outcome == Outcome.Passed, summary);
        AssertReported(arch, kernel, result.Report!, summary);
    }

    /// <summary>
    /// What the report port must have carried from any guest that reached a verdict: the guest program's start
    /// line (this kernel, this architecture), the extension's registration with its tables, and every probe with
    /// its status, a probe that is not running with the reason ebpf_probes gives.
    /// </summary>
    private static void AssertReported(GuestArchitecture arch, DebianKernel kernel, GuestReport report, string summary)
    {
        Assert.Equal(kernel.Release, report.Kernel);
        Assert.Equal(arch.Name, report.Arch);
        Assert.Equal("osquery-bpf", report.Registered?.Split(' ')[0]);
        foreach (var table in new[] { "ebpf_process_events", "ebpf_file_events", "ebpf_socket_events", "ebpf_dns_events", "ebpf_probes" })
            Assert.Contains(table, report.RegisteredTables);
        foreach (var probe in new[] { "process", "file", "socket", "dns" })
            Assert.Contains(probe, report.Probes.Select(p => p.Name));
        foreach (var probe in report.Probes.Where(p => p.Status != "running"))
            Assert.True(probe.Error.Length > 0, $"probe {probe.Name} is {probe.Status} and the report gives no reason: " + summary);
        Assert.Equal(report.Probes.Count, report.Verdict!.Probes);
        Assert.True(report.Checks.Count >= 27, $"{report.Checks.Count} checks were reported: " + summary);
    }

    [SkippableTheory]
    [InlineData("x86_64")]
    [InlineData("aarch64")]
    public void A_kernel_that_dies_while_booting_is_booted_again_and_reported_as_such(string archName)
    {
        var arch = GuestArchitecture.Find(archName);
        var (archive, kernels, _) = _fixture.Require(arch);
        var kernel = KernelSelection.Pick(kernels, "newest")!;
        // An image without /init: the kernel panics ("No working init found"), qemu exits, the runner retries.
        var broken = Path.Combine(KernelMatrixFixture.LogDirectoryFor(arch), "no-init.cpio");
        using (var stream = File.Create(broken))
        using (var archiveWriter = new CpioArchive(stream))
            archiveWriter.File("etc/motd", "no init here\n"u8);

        var runner = new MatrixRunner(arch, archive, broken,
            new MatrixOptions { LogDirectory = KernelMatrixFixture.LogDirectoryFor(arch), MaxAttempts = 2 }, _output.WriteLine);
        var result = runner.Run(kernel);
        Requirements.Require(result.Outcome != Outcome.Unavailable, $"kernel {kernel}: {result.Reason}");
        Assert.Equal(Outcome.KernelDied, result.Outcome);
        Assert.Equal(2, result.Attempts);
        Assert.Contains("died while booting", result.Reason);
        Assert.Contains("Kernel panic", result.Reason);
    }
}
