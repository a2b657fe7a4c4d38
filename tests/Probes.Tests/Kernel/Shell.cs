using System.Diagnostics;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>Runs /bin/sh scripts as child processes (so they have their own cwd and pid).</summary>
internal static class Shell
{
    /// <summary>Runs <paramref name="script"/> with extra positional arguments; returns the child's pid and exit code.</summary>
    public static (int Pid, int ExitCode, string Output) Run(string script, params string[] args)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("sh");
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), $"The script did not finish in 60 s: {script}");
        return (process.Id, process.ExitCode, output.Result + error.Result);
    }

    /// <summary>Like <see cref="Run"/> but fails the test unless the script exits with 0.</summary>
    public static (int Pid, string Output) Check(string script, params string[] args)
    {
        var (pid, code, output) = Run(script, args);
        Assert.True(code == 0, $"The script exited with {code}: {output}");
        return (pid, output);
    }

    /// <summary>The path with every symlink resolved (readlink -f).</summary>
    public static string RealPath(string path) => Check("readlink -f \"$1\"", path).Output.TrimEnd('\n');
}
