using System.Diagnostics;
using OsqueryBpf.Events;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>The process probe loaded once for <see cref="ProcessProbeTests"/>; keeps marked execs and their exits.</summary>
public class ProcessProbeFixture : IDisposable
{
    public const string MarkerPrefix = "osqbpf-marker-";
    private readonly HashSet<long> _markedPids = new(); // touched only by the reader thread
    private readonly object _gate = new();
    private LoadedProbe? _probe;

    internal LoadedProbe Probe()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        lock (_gate)
            return _probe ??= new LoadedProbe(ProcessProbe.Definition, new ProcessSettings { RecordForks = true }, Keep, AsKernel);
    }

    /// <summary>The older kernel whose code paths the probe takes; null: this kernel's own.</summary>
    internal virtual OlderKernel? AsKernel => null;

    private bool Keep(Event evt)
    {
        if (evt is not ProcessEvent process)
            return false;
        if (process.Syscall == "exit")
            return _markedPids.Contains(process.Pid) || _markedPids.Contains(process.Parent) || process.Parent == Environment.ProcessId;
        if (process.Syscall == "fork")
            return process.Parent == Environment.ProcessId; // children of this test process
        if (process.Argv.Any(a => a.Contains(MarkerPrefix)) || process.Path.Contains(MarkerPrefix))
        {
            _markedPids.Add(process.Pid);
            return true;
        }
        return false;
    }

    public void Dispose() => _probe?.Dispose();
}

/// <summary>
/// The process probe in the real kernel: real children, their argv, cwd, parents, results and exits. The subclasses
/// run the same tests with the probe on the code paths of older kernels.
/// </summary>
public class ProcessProbeTests : IClassFixture<ProcessProbeFixture>, IDisposable
{
    private readonly ProcessProbeFixture _fixture;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("osqbpf-proc-");

    public ProcessProbeTests(ProcessProbeFixture fixture) => _fixture = fixture;

    private static string NewMarker() => ProcessProbeFixture.MarkerPrefix + Guid.NewGuid().ToString("N");

    [SkippableFact]
    public void Exec_has_exact_argv_real_parent_cwd_ids_and_its_exit()
    {
        var probe = _fixture.Probe();
        var marker = NewMarker();
        string[] args = ["-c", "exit 3", marker, "with space", "new\nline", "quote\"d", ""];
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = _dir.FullName };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var child = Process.Start(start)!;
        Assert.True(child.WaitForExit(60_000));
        Assert.Equal(3, child.ExitCode);

        var exec = probe.WaitFor<ProcessEvent>(e => e.Syscall == "execve" && e.Argv.Contains(marker), "the child's exec");
        Assert.Equal(args, exec.Argv.Skip(1));
        Assert.EndsWith("sh", exec.Argv[0]);
        Assert.Equal(Shell.RealPath("/bin/sh"), exec.Path);
        Assert.Equal(1, exec.PathResolved); // the running image's file
        Assert.Equal(Shell.RealPath(_dir.FullName), exec.Cwd);
        Assert.Equal(child.Id, exec.Pid);
        Assert.Equal(child.Id, exec.Tid);
        Assert.Equal(Environment.ProcessId, exec.Parent);
        Assert.Equal(0, exec.Uid);
        Assert.Equal(0, exec.Euid);
        Assert.Equal(0, exec.ExitCode);
        Assert.True(exec.Duration > 0, "An exec takes time.");
        Assert.False(exec.ProbeError);
        Assert.NotEqual(0, exec.CgroupId);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(exec.Time, now - 120, now + 5);

        var fork = probe.WaitFor<ProcessEvent>(e => e.Syscall == "fork" && e.Pid == child.Id, "the child's fork");
        Assert.Equal(Environment.ProcessId, fork.Parent);
        Assert.True(fork.BootTimeNs < exec.BootTimeNs, "The fork comes before the exec.");

        var exit = probe.WaitFor<ProcessEvent>(e => e.Syscall == "exit" && e.Pid == child.Id, "the child's exit");
        Assert.Equal(3, exit.ExitCode);
        Assert.True(exit.Duration >= exec.Duration, "The lifetime includes the exec.");
        Assert.Equal(Environment.ProcessId, exit.Parent);
        Assert.Equal(exec.Path, exit.Path); // what its exec installed
        Assert.Equal(exec.Cwd, exit.Cwd);
        Assert.Equal(1, exit.PathResolved);
    }

    [SkippableFact]
    public void A_fork_that_never_execs_exits_with_its_parents_binary_and_cwd()
    {
        var probe = _fixture.Probe();
        var marker = NewMarker();
        // The subshell is a fork of sh that exits without an exec of its own.
        var (shellPid, _) = Shell.Check("cd \"$1\" && (exit 4); echo \"$2\" > /dev/null", _dir.FullName, marker);
        var shellExec = probe.WaitFor<ProcessEvent>(e => e.Syscall == "execve" && e.Pid == shellPid, "the shell's exec");

        var exit = probe.WaitFor<ProcessEvent>(e => e.Syscall == "exit" && e.Parent == shellPid && e.ExitCode == 4, "the subshell's exit");
        Assert.Equal(Shell.RealPath("/bin/sh"), exit.Path);
        Assert.Equal(1, exit.PathResolved);
        Assert.Equal(shellExec.Cwd, exit.Cwd); // sh's cwd at its exec: a cd since is not seen (documented)
        var shellExit = probe.WaitFor<ProcessEvent>(e => e.Syscall == "exit" && e.Pid == shellPid, "the shell's exit");
        Assert.Equal(shellExec.Path, shellExit.Path);
    }

    [SkippableFact]
    public void Failed_exec_of_a_missing_file_has_its_error_path_and_argv()
    {
        var probe = _fixture.Probe();
        var missing = NewMarker() + "-missing";
        var (shellPid, _) = Shell.Check($"cd \"$1\" && ./{missing} first 'sec ond'; exit 0", _dir.FullName);

        var exec = probe.WaitFor<ProcessEvent>(e => e.Argv.FirstOrDefault() == "./" + missing, "the failed exec");
        Assert.Equal(-2, exec.ExitCode); // ENOENT
        var realDir = Shell.RealPath(_dir.FullName);
        Assert.Equal(realDir + "/" + missing, exec.Path); // ./missing joined to the cwd, made canonical
        Assert.Equal(0, exec.PathResolved); // from the text the process passed
        Assert.Equal(realDir, exec.Cwd);
        Assert.Equal(["./" + missing, "first", "sec ond"], exec.Argv);
        Assert.Equal("execve", exec.Syscall);
        Assert.True(exec.Pid == shellPid || exec.Parent == shellPid, "The shell or its child tried the exec.");
    }

    [SkippableFact]
    public void Exit_by_signal_is_a_negative_signal_number()
    {
        var probe = _fixture.Probe();
        var marker = NewMarker();
        var (pid, code, _) = Shell.Run("kill -9 $$", marker);
        Assert.Equal(137, code); // as the parent sees it: 128 + 9

        var exit = probe.WaitFor<ProcessEvent>(e => e.Syscall == "exit" && e.Pid == pid, "the killed shell's exit");
        Assert.Equal(-9, exit.ExitCode);
        Assert.Equal(0UL, probe.Lost);
    }

    [SkippableFact]
    public void A_process_whose_threads_exit_together_has_one_exit()
    {
        // exit_together's threads spin until main calls exit(5), which ends them all at once (exit_group), each
        // passing through sched_process_exit. Before Linux 6.16 the probe finds the last thread by signal->live,
        // which several of them can see at 0: exactly one exit must come out, with the process's status.
        var program = TestPrograms.Path("exit_together");
        var probe = _fixture.Probe();
        for (var round = 0; round < 10; round++)
        {
            using var child = Process.Start(program, "8")!;
            Assert.True(child.WaitForExit(60_000));
            Assert.Equal(5, child.ExitCode);

            var exit = probe.WaitFor<ProcessEvent>(e => e.Syscall == "exit" && e.Pid == child.Id, "the exit of a process of 9 threads");
            Assert.Equal(5, exit.ExitCode);
            Assert.Equal(Environment.ProcessId, exit.Parent);
            Thread.Sleep(100); // a duplicate would come right behind it
            Assert.Single(probe.Seen<ProcessEvent>(e => e.Syscall == "exit" && e.Pid == child.Id));
        }
    }

    public void Dispose() => _dir.Delete(recursive: true);
}

/// <summary>The process probe as it runs on Linux 6.1 to 6.15: exits found by signal->live (sched_process_exit_live).</summary>
public sealed class ProcessProbeAsLinux61Fixture : ProcessProbeFixture
{
    internal override OlderKernel? AsKernel => OlderKernel.Linux61;
}

/// <summary>The process tests with the probe on the code paths of Linux 6.1.</summary>
public sealed class ProcessProbeAsLinux61Tests : ProcessProbeTests, IClassFixture<ProcessProbeAsLinux61Fixture>
{
    private readonly ProcessProbeAsLinux61Fixture _fixture;

    public ProcessProbeAsLinux61Tests(ProcessProbeAsLinux61Fixture fixture) : base(fixture) => _fixture = fixture;

    [SkippableFact]
    public void The_exit_hook_is_served_by_the_signal_live_program()
    {
        var probe = _fixture.Probe();
        var exit = Assert.Single(probe.Instance.Hooks, h => h.Hook.Target == "sched_process_exit");
        Assert.Equal("sched_process_exit_live", exit.ProgramName);
        Assert.True(exit.Running);
        Assert.Contains("6.16", exit.Fallback);
        Assert.Equal(Bpf.Collections.ProgramLoadStatus.Skipped, probe.Instance.Collection.Programs["sched_process_exit"].Status);
    }
}

/// <summary>The process probe as it runs on Linux 5.10: no typed task, no bpf_task_pt_regs, exits by signal->live.</summary>
public sealed class ProcessProbeAsLinux510Fixture : ProcessProbeFixture
{
    internal override OlderKernel? AsKernel => OlderKernel.Linux510;
}

/// <summary>The process tests with the probe on the code paths of Linux 5.10.</summary>
public sealed class ProcessProbeAsLinux510Tests : ProcessProbeTests, IClassFixture<ProcessProbeAsLinux510Fixture>
{
    public ProcessProbeAsLinux510Tests(ProcessProbeAsLinux510Fixture fixture) : base(fixture)
    {
    }
}
