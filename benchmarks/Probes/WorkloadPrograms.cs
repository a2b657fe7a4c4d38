using System.Diagnostics;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>Compiles the C workloads with cc -O2 into a temporary folder and runs them.</summary>
internal sealed class WorkloadPrograms
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);
    private readonly string _binaries;

    private WorkloadPrograms(string binaries) => _binaries = binaries;

    public static WorkloadPrograms Compile(string sourceFolder, string outputFolder, IEnumerable<string> programs)
    {
        Directory.CreateDirectory(outputFolder);
        foreach (var program in programs.Distinct())
        {
            var source = Path.Combine(sourceFolder, program + ".c");
            if (!File.Exists(source))
                throw new FileNotFoundException($"The workload source {source} does not exist.", source);
            var info = new ProcessStartInfo("cc") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { "-O2", "-Wall", "-o", Path.Combine(outputFolder, program), source })
                info.ArgumentList.Add(argument);
            using var compiler = TrackedProcesses.Start(info);
            var errors = compiler.StandardError.ReadToEndAsync();
            compiler.StandardOutput.ReadToEnd();
            TrackedProcesses.WaitOrKill(compiler, TimeSpan.FromMinutes(2));
            if (compiler.ExitCode != 0)
                throw new InvalidOperationException($"cc could not compile {source}: {errors.Result.Trim()}");
        }
        return new WorkloadPrograms(outputFolder);
    }

    /// <summary>The path of a compiled program.</summary>
    public string PathOf(string program) => Path.Combine(_binaries, program);

    /// <summary>
    /// Starts one workload process; <see cref="Finish"/> waits for it and parses its result. With
    /// <paramref name="operationsPerSecond"/> it paces itself to that rate (WORKLOAD_RATE, workloads/common.h).
    /// </summary>
    public Process Start(string program, long count, IReadOnlyList<string> arguments, double? operationsPerSecond = null)
    {
        var info = new ProcessStartInfo(PathOf(program)) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        if (operationsPerSecond is { } rate)
            info.Environment["WORKLOAD_RATE"] = rate.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return TrackedProcesses.Start(info);
    }

    public static WorkloadResult Finish(Process process, string program)
    {
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!TrackedProcesses.WaitOrKill(process, RunTimeout))
            throw new TimeoutException($"The workload {program} did not finish within {RunTimeout.TotalMinutes} minutes and was killed.");
        var result = WorkloadResult.Parse(output.Result, program);
        if (result.Failures > 0)
            Console.Error.WriteLine($"  note: {program} had {result.Failures} failed operations: {errors.Result.Trim()}");
        return result;
    }

    public WorkloadResult Run(string program, long count, IReadOnlyList<string> arguments, double? operationsPerSecond = null)
    {
        using var process = Start(program, count, arguments, operationsPerSecond);
        return Finish(process, program);
    }
}
