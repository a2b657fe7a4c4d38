using OsqueryBpf.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>
/// The guest program run directly on this machine's kernel: the same checks the matrix runs in every guest,
/// against the published extension. It shows the checks themselves hold where the probes are known to work.
/// </summary>
public sealed class GuestOnHostTests
{
    private readonly ITestOutputHelper _output;

    public GuestOnHostTests(ITestOutputHelper output) => _output = output;

    [SkippableFact]
    public void Every_probe_runs_and_every_check_holds_on_the_host_kernel()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        Requirements.RequireTool("dnsmasq");
        var programs = KernelMatrixFixture.Programs;
        Requirements.Require(programs.Missing() is null, programs.Missing() ?? "");

        var result = MatrixRunner.RunOnHost(programs);
        Assert.True(result.Outcome == Outcome.Passed, $"{result.Name}: probes {result.ProbesColumn}, checks {result.ChecksColumn}\n{result.Reason}");
        Assert.Equal(5, result.Report!.Probes.Count); // cgroup, process, file, socket, dns
        Assert.True(result.Report.Checks.Count >= 27, $"{result.Report.Checks.Count} checks ran");
    }
}
