using System.Diagnostics;
using OsqueryBpf.Events;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>The process probe loaded once for <see cref="ProcessProbeTests"/>; keeps marked execs and their exits.</summary>
public sealed class ProcessProbeFixture : IDisposable
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
            return _probe ??= new LoadedProbe(ProbeDefinitions.Process, new ProbeSettings { IgnoredProcessId = 0, RecordForks = true }, Keep);
    }

    private bool Keep(Event evt)
    {
        if (evt is not ProcessEvent process)
            return false;
        if (process.Syscall == "exit")
            return _markedPids.Contains(process.Pid);
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

/// <summary>The process probe in the real kernel: real children, their argv, cwd, parents, results and exits.</summary>
public sealed class ProcessProbeTests : IClassFixture<ProcessProbeFixture>, IDisposable
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
        Assert.Equal(realDir + "/./" + missing, exec.Path);
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

    public void Dispose() => _dir.Delete(recursive: true);
}
