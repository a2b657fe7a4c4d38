using System.Diagnostics;

namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>The outcome of a finished command.</summary>
public sealed record CommandResult(int ExitCode, string Output, string Error)
{
    public string Describe(string what) => $"{what} exited with {ExitCode}: {Error.Trim()} {Output.Trim()}".Trim();
}

/// <summary>Runs programs as child processes with a deadline, reading both outputs fully.</summary>
internal static class Command
{
    public static CommandResult Run(string file, IEnumerable<string> args, TimeSpan? timeout = null, IDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (k, v) in env)
                start.Environment[k] = v;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromSeconds(120);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {limit.TotalSeconds} s: {error.Result} {output.Result}");
        }
        process.WaitForExit();
        return new CommandResult(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs and throws unless the exit code is 0; returns stdout.</summary>
    public static string Check(string file, params string[] args)
    {
        var r = Run(file, args);
        if (r.ExitCode != 0)
            throw new InvalidOperationException(r.Describe($"{file} {string.Join(' ', args)}"));
        return r.Output;
    }
}
