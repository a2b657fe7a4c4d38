using Xunit;

namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>
/// How a boot is judged from its report port and console: only a kernel that died is booted again; a probe or
/// check failure, or a guest program that ended without a verdict, is final.
/// </summary>
public sealed class AttemptJudgeTests
{
    private const string PassingRun = """
        kmatrix-init: started
        kmatrix: start kernel=7.3.4+deb13-cloud-amd64 arch=x86_64 pid=111
        kmatrix: probe process running
        kmatrix: probe file running
        kmatrix: probe socket running
        kmatrix: probe dns running
        kmatrix: probes settled 4.10 s
        kmatrix: check exec ok
        kmatrix: check file.rename ok
        kmatrix: verdict pass probes 4/4 checks 2/2 load 4.10 s
        kmatrix-init: guest exited 0
        """;

    private const string FailingRun = """
        kmatrix-init: started
        kmatrix: start kernel=6.12.118+deb13-cloud-amd64 arch=x86_64 pid=98
        kmatrix: probe process failed: sched_process_exit: Loading program 'sched_process_exit' failed / func 'sched_process_exit' doesn't have 2-th argument
        kmatrix: probe file running
        kmatrix: probes settled 5.20 s
        kmatrix: check exec FAIL: probe process is not running; no row for the execve of /bin/sh by pid 269 (no rows at all for pid=269)
        kmatrix: check file.rename ok
        kmatrix: stats process events=0 drops=0
        kmatrix: stats file events=112 drops=3
        kmatrix: verdict fail probes 1/2 checks 1/2 load 5.20 s
        kmatrix-init: guest exited 1
        """;

    private static GuestAttempt Attempt(string report, string console = "", GuestEnd end = GuestEnd.Exited) =>
        new(GuestReport.Parse(report.Split('\n').Select(l => l + "\r")), end, console, "console.log", 2.5, 20);

    [Fact]
    public void A_passing_verdict_passes()
    {
        var attempt = Attempt(PassingRun);
        Assert.Equal((Outcome.Passed, ""), AttemptJudge.Judge(attempt));
        Assert.Equal("7.3.4+deb13-cloud-amd64", attempt.Report.Kernel);
        Assert.Equal(4, attempt.Report.Probes.Count);
        Assert.Equal(4.10, attempt.Report.Verdict!.LoadSeconds);
        Assert.Equal(0, attempt.Report.GuestExitCode);
    }

    [Fact]
    public void A_failing_verdict_names_the_probe_error_and_the_check_and_is_not_retried()
    {
        var (outcome, reason) = AttemptJudge.Judge(Attempt(FailingRun));
        Assert.Equal(Outcome.Failed, outcome);
        Assert.Contains("probe process failed: sched_process_exit: Loading program 'sched_process_exit' failed / func 'sched_process_exit' doesn't have 2-th argument", reason);
        Assert.Contains("check exec: probe process is not running; no row for the execve of /bin/sh by pid 269", reason);
        Assert.DoesNotContain("file.rename", reason);
        Assert.Contains("ebpf_probes after the checks: process events=0 drops=0; file events=112 drops=3", reason);
        var result = new KernelResult("6.12.118-1", null, outcome, reason, GuestReport.Parse(FailingRun.Split('\n')), 1, 2.5, null);
        Assert.Equal("1/2 (not running: process)", result.ProbesColumn);
        Assert.Equal("1/2", result.ChecksColumn);
    }

    [Fact]
    public void A_panic_before_init_is_a_kernel_that_died_while_booting()
    {
        var (outcome, reason) = AttemptJudge.Judge(Attempt("", """
            [    0.812345] Freeing unused kernel image (initmem) memory: 2112K
            [    0.901234] Kernel panic - not syncing: IO-APIC + timer doesn't work!  Boot with apic=debug and send a report.
            """));
        Assert.Equal(Outcome.KernelDied, outcome);
        Assert.Contains("died while booting: [    0.901234] Kernel panic - not syncing: IO-APIC", reason);
    }

    [Fact]
    public void No_init_within_the_boot_timeout_is_a_kernel_that_died()
    {
        var (outcome, reason) = AttemptJudge.Judge(Attempt("", "[    0.5] early console\n", GuestEnd.BootTimeout));
        Assert.Equal(Outcome.KernelDied, outcome);
        Assert.Contains("did not reach /init", reason);
    }

    [Fact]
    public void An_oops_during_the_run_is_a_kernel_that_died()
    {
        var report = "kmatrix-init: started\nkmatrix: start kernel=6.12.95+deb12-cloud-amd64 arch=x86_64 pid=90\n";
        var (outcome, reason) = AttemptJudge.Judge(Attempt(report, "[   12.3] Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI\n"));
        Assert.Equal(Outcome.KernelDied, outcome);
        Assert.Contains("during the run: [   12.3] Oops: general protection fault", reason);
    }

    [Fact]
    public void A_guest_program_that_ends_without_a_verdict_fails_with_what_it_said()
    {
        var report = "kmatrix-init: started\nkmatrix: error The extension exited with 1 before registering.\nkmatrix-init: guest exited 1\n";
        var (outcome, reason) = AttemptJudge.Judge(Attempt(report, "[ 3.0] random: crng init done\n"));
        Assert.Equal(Outcome.Failed, outcome);
        Assert.Equal("the guest program exited with 1 without a verdict: The extension exited with 1 before registering.", reason);
    }

    [Fact]
    public void A_guest_that_hangs_after_init_fails_without_retry()
    {
        var (outcome, reason) = AttemptJudge.Judge(Attempt("kmatrix-init: started\n", "", GuestEnd.RunTimeout));
        Assert.Equal(Outcome.Failed, outcome);
        Assert.StartsWith("no verdict within", reason);
    }

    [Fact]
    public void The_start_and_registration_lines_name_the_architecture_and_the_tables_and_a_degraded_probe_keeps_its_reason()
    {
        var report = GuestReport.Parse("""
            kmatrix-init: started
            kmatrix: start kernel=7.3.4+deb13-cloud-arm64 arch=aarch64 pid=105
            kmatrix: registered osquery-bpf 0.1.0 tables=ebpf_dns_events,ebpf_file_events,ebpf_probes
            kmatrix: probe socket degraded: missing hooks: tracepoint/syscalls/sys_exit_connect (Linux 4.7+): Loading program 'sys_exit_connect' failed
            kmatrix: verdict fail probes 0/1 checks 0/0 load 63.45 s
            """.Split('\n'));
        Assert.Equal("7.3.4+deb13-cloud-arm64", report.Kernel);
        Assert.Equal("aarch64", report.Arch);
        Assert.Equal("osquery-bpf 0.1.0", report.Registered);
        Assert.Equal(["ebpf_dns_events", "ebpf_file_events", "ebpf_probes"], report.RegisteredTables);
        Assert.Equal(new ProbeLine("socket", "degraded", "missing hooks: tracepoint/syscalls/sys_exit_connect (Linux 4.7+): Loading program 'sys_exit_connect' failed"),
            Assert.Single(report.Probes));
        // A guest program from before the registration line still parses.
        var older = GuestReport.Parse(["kmatrix: start kernel=6.1.0-57-cloud-amd64 arch=x86_64 pid=93"]);
        Assert.Equal(("6.1.0-57-cloud-amd64", "x86_64", null), (older.Kernel, older.Arch, older.Registered));
    }

    [Fact]
    public void Lines_that_are_not_the_protocol_are_ignored()
    {
        var report = GuestReport.Parse(["garbage", "kmatrix: verdict maybe", "kmatrix: probe x", "kmatrix-init: guest exited nope"]);
        Assert.False(report.InitStarted);
        Assert.Null(report.Verdict);
        Assert.Empty(report.Probes);
        Assert.Null(report.GuestExitCode);
    }
}
