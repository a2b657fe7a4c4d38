using OsqueryBpf.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>
/// CI's kernel matrix: the newest Debian build of 5.10, 6.1, 6.12 and 6.16 and the newest released kernel, each
/// booted under qemu with the published extension and the ground-truth guest. A kernel passes when every probe
/// runs and every check holds; the failure message is the guest's report of what did not.
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
        var (archive, kernels, image) = _fixture.Require();
        Assert.Equal(KernelSelection.CiSeries.Append("newest"), new[] { "5.10", "6.1", "6.12", "6.16", "newest" });
        var kernel = KernelSelection.Pick(kernels, series);
        Assert.True(kernel is not null, $"Debian serves no {series} kernel any more; apt-get update said: {string.Join(" / ", archive.Warnings)}");

        // Progress only: the guest's report lines are in the failure message and in the report log.
        var runner = new MatrixRunner(KernelMatrixFixture.Arch, archive, image, new MatrixOptions { LogDirectory = KernelMatrixFixture.LogDirectory },
            line => { if (!line.Contains(": kmatrix: ", StringComparison.Ordinal)) _output.WriteLine(line); });
        var result = runner.Run(kernel);
        Requirements.Require(result.Outcome != Outcome.Unavailable, $"kernel {kernel}: {result.Reason}");
        _output.WriteLine(MatrixTable.Markdown([result]));
        Assert.True(result.Outcome == Outcome.Passed,
            $"{kernel}: {result.Outcome} (probes {result.ProbesColumn}, checks {result.ChecksColumn}; logs {result.ConsoleLogPath}, " +
            $"{GuestAttempt.ReportLogFor(result.ConsoleLogPath!)})\n{result.Reason}");
        Assert.Equal(kernel.Release, result.Report!.Kernel);
    }

    [SkippableFact]
    public void A_kernel_that_dies_while_booting_is_booted_again_and_reported_as_such()
    {
        var (archive, kernels, _) = _fixture.Require();
        var kernel = KernelSelection.Pick(kernels, "newest")!;
        // An image without /init: the kernel panics ("No working init found"), qemu exits, the runner retries.
        var broken = Path.Combine(KernelMatrixFixture.LogDirectory, "no-init.cpio");
        using (var stream = File.Create(broken))
        using (var archiveWriter = new CpioArchive(stream))
            archiveWriter.File("etc/motd", "no init here\n"u8);

        var runner = new MatrixRunner(KernelMatrixFixture.Arch, archive, broken,
            new MatrixOptions { LogDirectory = KernelMatrixFixture.LogDirectory, MaxAttempts = 2 }, _output.WriteLine);
        var result = runner.Run(kernel);
        Requirements.Require(result.Outcome != Outcome.Unavailable, $"kernel {kernel}: {result.Reason}");
        Assert.Equal(Outcome.KernelDied, result.Outcome);
        Assert.Equal(2, result.Attempts);
        Assert.Contains("died while booting", result.Reason);
        Assert.Contains("Kernel panic", result.Reason);
    }
}
