using System.Globalization;
using System.Text.RegularExpressions;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>What a workload printed at its end: its pid, operations that succeeded and failed, and its pace.</summary>
internal sealed partial record WorkloadResult(int Pid, long Operations, long Failures, double Seconds, double OperationsPerSecond)
{
    [GeneratedRegex(@"^pid=(\d+) ops=(\d+) failures=(\d+) seconds=([0-9.]+) ops_per_s=([0-9.]+)$", RegexOptions.Multiline)]
    private static partial Regex ResultLine();

    public static WorkloadResult Parse(string output, string program)
    {
        var match = ResultLine().Match(output);
        if (!match.Success)
            throw new InvalidOperationException($"The workload {program} printed no result line; its output was: {output.Trim()}");
        return new WorkloadResult(
            int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            long.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture),
            double.Parse(match.Groups[4].Value, CultureInfo.InvariantCulture),
            double.Parse(match.Groups[5].Value, CultureInfo.InvariantCulture));
    }
}
