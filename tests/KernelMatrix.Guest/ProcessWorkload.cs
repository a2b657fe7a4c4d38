using System.Diagnostics;

namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// Process facts: an exec of /bin/sh with exact argv in a directory of ours (the exec row: argv, cwd, parent,
/// binary, result), the same child's exit status, and a shell's failed exec of a missing file (-2, ENOENT).
/// </summary>
internal static class ProcessWorkload
{
    private const string Table = "ebpf_process_events";

    public static IEnumerable<Check> Run(string workDir)
    {
        var me = Environment.ProcessId;
        var cwd = Libc.RealPath(Directory.CreateDirectory(Path.Combine(workDir, "exec cwd")).FullName);
        var marker = "kmatrix-" + Guid.NewGuid().ToString("N")[..12];
        string[] args = ["-c", "exit 7", "sh", marker, "two words"];
        var (childPid, childExit) = RunShell(cwd, args);
        if (childExit != 7)
            throw new InvalidOperationException($"/bin/sh -c 'exit 7' exited with {childExit}.");
        var shell = Libc.RealPath("/bin/sh");
        string[] argv = ["/bin/sh", .. args];

        yield return new Check
        {
            Name = "exec",
            Probe = "process",
            Table = Table,
            What = $"the execve of /bin/sh by pid {childPid}",
            Where = Pid(childPid),
            Selects = r => r.GetValueOrDefault("syscall") == "execve",
            Expect =
            [
                Expectation.Equal("json_cmdline", JsonArray(argv)),
                Expectation.Equal("cmdline", string.Join(' ', argv)),
                Expectation.Equal("cwd", cwd),
                Expectation.Equal("parent", me),
                Expectation.Equal("path", shell),
                Expectation.Equal("exit_code", 0),
                Expectation.Equal("uid", 0),
            ],
            Shown = ["syscall", "path", "exit_code"],
        };

        yield return new Check
        {
            Name = "exit",
            Probe = "process",
            Table = Table,
            What = $"the exit of pid {childPid} with status 7",
            Where = Pid(childPid),
            Selects = r => r.GetValueOrDefault("syscall") == "exit",
            Expect = [Expectation.Equal("exit_code", 7), Expectation.Equal("parent", me)],
            Shown = ["syscall", "path", "exit_code"],
        };

        // The shell forks a child that tries the exec; the row's process is the shell or its child.
        var missing = marker + "-missing";
        var (shellPid, shellExit) = RunShell(cwd, ["-c", $"./{missing} first 'sec ond'; exit 0"]);
        if (shellExit != 0)
            throw new InvalidOperationException($"The shell around the failed exec exited with {shellExit}.");
        string[] failedArgv = ["./" + missing, "first", "sec ond"];
        yield return new Check
        {
            Name = "exec.failed",
            Probe = "process",
            Table = Table,
            What = $"the failed execve of ./{missing} by pid {shellPid} or its child",
            Where = new Dictionary<string, string> { ["syscall"] = "execve", ["cwd"] = cwd },
            Selects = r => r.GetValueOrDefault("json_cmdline") == JsonArray(failedArgv),
            Expect =
            [
                Expectation.Equal("exit_code", -2),
                Expectation.Equal("path", cwd + "/" + missing), // ./missing joined to the cwd, made canonical
                Expectation.Equal("path_resolved", 0),
                Expectation.Rule("parent", $"{shellPid} (or pid {shellPid})",
                    r => r.GetValueOrDefault("parent") == shellPid.ToString() || r.GetValueOrDefault("pid") == shellPid.ToString()),
            ],
            Shown = ["pid", "parent", "path", "exit_code"],
        };
    }

    private static (int Pid, int ExitCode) RunShell(string cwd, string[] args)
    {
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = cwd, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start /bin/sh.");
        if (!child.WaitForExit(60_000))
            throw new TimeoutException("/bin/sh did not finish within 60 s.");
        return (child.Id, child.ExitCode);
    }

    private static Dictionary<string, string> Pid(int pid) => new() { ["pid"] = pid.ToString() };

    /// <summary>The argv as json_cmdline spells it (plain strings here: no escapes needed).</summary>
    private static string JsonArray(string[] argv) => "[" + string.Join(",", argv.Select(a => "\"" + a + "\"")) + "]";
}
