using System.Globalization;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>User and system CPU time of a process (all its threads, including those that ended).</summary>
internal readonly record struct CpuTimes(TimeSpan User, TimeSpan System)
{
    public TimeSpan Total => User + System;

    public static CpuTimes operator -(CpuTimes after, CpuTimes before) => new(after.User - before.User, after.System - before.System);
}

/// <summary>CPU time a process has used so far, read from /proc/PID/stat.</summary>
/// <remarks>
/// The kernel keeps each thread's run time in nanoseconds and splits it into utime and stime by the proportion of
/// timer ticks that found it in user or kernel mode (cputime_adjust), then shows both in USER_HZ ticks of 10 ms: the
/// sum is exact to a tick per field, the split is a sample.
/// </remarks>
internal static class ProcessCpu
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static TimeSpan Of(int pid) => Times(pid).Total;

    public static CpuTimes Times(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return default;
        }
        // Fields after the command name, which is in parentheses and may contain spaces: state is field 3,
        // utime field 14 and stime field 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return new CpuTimes(
            TimeSpan.FromSeconds(long.Parse(fields[11], CultureInfo.InvariantCulture) / TicksPerSecond),
            TimeSpan.FromSeconds(long.Parse(fields[12], CultureInfo.InvariantCulture) / TicksPerSecond));
    }
}
