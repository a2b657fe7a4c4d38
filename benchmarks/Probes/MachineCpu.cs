using System.Globalization;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>
/// The machine's CPU time by state, from the first line of /proc/stat (in USER_HZ ticks, all CPUs together): how
/// busy the whole machine was during a run, the benchmark and everything else on it included.
/// </summary>
internal readonly record struct MachineCpu(long Busy, long Idle, long Steal)
{
    public double BusyFraction => Busy + Idle + Steal == 0 ? 0 : (double)Busy / (Busy + Idle + Steal);

    public double StealFraction => Busy + Idle + Steal == 0 ? 0 : (double)Steal / (Busy + Idle + Steal);

    public static MachineCpu Read()
    {
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        long Field(int i) => i < fields.Length ? fields[i] : 0;
        // guest time is already inside user time.
        return new MachineCpu(Field(0) + Field(1) + Field(2) + Field(5) + Field(6), Field(3) + Field(4), Field(7));
    }

    public static MachineCpu operator -(MachineCpu after, MachineCpu before) =>
        new(after.Busy - before.Busy, after.Idle - before.Idle, after.Steal - before.Steal);
}
