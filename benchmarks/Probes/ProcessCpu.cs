namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>CPU time (user + system) a process has used so far, read from /proc/PID/stat.</summary>
internal static class ProcessCpu
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static TimeSpan Of(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
        // Fields after the command name, which is in parentheses and may contain spaces: state is field 3,
        // utime field 14 and stime field 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
