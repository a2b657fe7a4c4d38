using System.Diagnostics;
using System.Globalization;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>
/// A cgroup with a CPU bandwidth limit, as systemd's CPUQuota= makes one: osqueryd's and fleetd's units set
/// CPUQuota=20%, which is 20 ms of CPU time per 100 ms period, and the extensions osqueryd starts run inside it.
/// </summary>
/// <remarks>
/// <para>Where the cpu controller lives differs between hosts, so it is looked up in /proc/self/mountinfo: on a
/// pure cgroup2 host (the unified hierarchy, systemd's default since 2021) it is listed in the cgroup2 mount's
/// cgroup.controllers and the limit is cpu.max ("20000 100000"); on hosts that mount cgroup v1 controllers (our
/// VMs mount cpu at /sys/fs/cgroup/cpu and an empty cgroup2 at /sys/fs/cgroup/unified) it is a v1 hierarchy whose
/// mount options name cpu, and the limit is cpu.cfs_quota_us over cpu.cfs_period_us. A cgroup2 mount is used only
/// when the controller is available in it.</para>
/// <para>The cgroup is made directly under the hierarchy's root (on cgroup2 the root is exempt from the rule that
/// a cgroup with processes cannot hand controllers to its children, so enabling +cpu there works) and removed
/// by <see cref="Dispose"/> once its processes have exited.</para>
/// </remarks>
internal sealed class QuotaCgroup : IDisposable
{
    private const long PeriodMicroseconds = 100_000;

    private QuotaCgroup(string path, bool unified, int percent)
    {
        Path = path;
        Unified = unified;
        Percent = percent;
    }

    /// <summary>The cgroup's folder.</summary>
    public string Path { get; }

    /// <summary>True on cgroup2 (cpu.max), false on a cgroup v1 cpu hierarchy (cpu.cfs_quota_us).</summary>
    public bool Unified { get; }

    /// <summary>CPU time allowed, in percent of one CPU.</summary>
    public int Percent { get; }

    /// <summary>Writing a pid here moves that process (all its threads) into the cgroup.</summary>
    public string ProcsFile => System.IO.Path.Combine(Path, "cgroup.procs");

    /// <summary>How the limit is set, for the report.</summary>
    public string Describe() => Unified
        ? $"cgroup2 {Path}, cpu.max \"{Quota} {PeriodMicroseconds}\""
        : $"cgroup v1 cpu controller, {Path}, cpu.cfs_quota_us {Quota} per cpu.cfs_period_us {PeriodMicroseconds}";

    private long Quota => PeriodMicroseconds * Percent / 100;

    /// <summary>Makes a cgroup limited to <paramref name="percent"/> % of one CPU; throws with the reason when it cannot.</summary>
    public static QuotaCgroup Create(int percent, string name)
    {
        if (percent is < 1 or > 100_00)
            throw new ArgumentException($"A CPU quota of {percent} % of one CPU is out of range.", nameof(percent));
        var (root, unified) = FindCpuHierarchy();
        var path = System.IO.Path.Combine(root, name);
        if (Directory.Exists(path))
            Directory.Delete(path); // left by an earlier run that was killed; fails if processes are still in it
        if (unified && !ReadWords(System.IO.Path.Combine(root, "cgroup.subtree_control")).Contains("cpu"))
            Write(System.IO.Path.Combine(root, "cgroup.subtree_control"), "+cpu");
        Directory.CreateDirectory(path);
        var cgroup = new QuotaCgroup(path, unified, percent);
        try
        {
            if (unified)
            {
                Write(System.IO.Path.Combine(path, "cpu.max"), $"{cgroup.Quota} {PeriodMicroseconds}");
            }
            else
            {
                Write(System.IO.Path.Combine(path, "cpu.cfs_period_us"), PeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
                Write(System.IO.Path.Combine(path, "cpu.cfs_quota_us"), cgroup.Quota.ToString(CultureInfo.InvariantCulture));
            }
        }
        catch
        {
            cgroup.Dispose();
            throw;
        }
        return cgroup;
    }

    /// <summary>
    /// A start of <paramref name="executable"/> inside the cgroup from its first instruction: a shell writes its own
    /// pid into cgroup.procs and then execs it, so the pid stays the program's.
    /// </summary>
    public ProcessStartInfo StartInside(string executable, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("/bin/sh");
        foreach (var argument in new[] { "-c", "echo $$ > \"$0\" && exec \"$@\"", ProcsFile, executable }.Concat(arguments))
            info.ArgumentList.Add(argument);
        return info;
    }

    /// <summary>
    /// Runs a busy loop in the cgroup for <paramref name="duration"/> and returns the share of one CPU it got: about
    /// <see cref="Percent"/> / 100 when the limit works.
    /// </summary>
    public (double Share, Throttling Throttling) Check(TimeSpan duration)
    {
        var before = ReadThrottling();
        using var loop = TrackedProcesses.Start(StartInside("/bin/sh", ["-c", "while :; do :; done"]));
        Thread.Sleep(TimeSpan.FromMilliseconds(200)); // until it is in the cgroup and looping
        var cpuBefore = ProcessCpu.Times(loop.Id);
        var clock = Stopwatch.StartNew();
        Thread.Sleep(duration);
        var cpu = ProcessCpu.Times(loop.Id) - cpuBefore;
        var wall = clock.Elapsed;
        loop.Kill();
        TrackedProcesses.WaitOrKill(loop, TimeSpan.FromSeconds(5));
        return (cpu.Total / wall, ReadThrottling() - before);
    }

    /// <summary>The throttling counters of cpu.stat: periods with runnable tasks, periods in which the quota ran out.</summary>
    public Throttling ReadThrottling()
    {
        var stat = File.ReadAllLines(System.IO.Path.Combine(Path, "cpu.stat"))
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2 && long.TryParse(parts[1], CultureInfo.InvariantCulture, out _))
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[1], CultureInfo.InvariantCulture));
        return new Throttling(stat.GetValueOrDefault("nr_periods"), stat.GetValueOrDefault("nr_throttled"));
    }

    /// <summary>Removes the cgroup; waits a little for exiting processes to leave it.</summary>
    public void Dispose()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                if (Directory.Exists(Path))
                    Directory.Delete(Path);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(100); // EBUSY while a process of it is still exiting
            }
        }
        Console.Error.WriteLine($"Could not remove the cgroup {Path}; remove it with rmdir once its processes have exited.");
    }

    /// <summary>
    /// The root of the hierarchy that has the cpu controller: the cgroup2 mount when its cgroup.controllers lists
    /// cpu, otherwise a cgroup v1 mount whose options name cpu.
    /// </summary>
    private static (string Root, bool Unified) FindCpuHierarchy()
    {
        string? v1 = null;
        var seen = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "36 25 0:30 / /sys/fs/cgroup/cpu rw,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct"
            var halves = line.Split(" - ", 2);
            if (halves.Length != 2)
                continue;
            var mountPoint = Unescape(halves[0].Split(' ')[4]);
            var tail = halves[1].Split(' ');
            if (tail.Length < 3)
                continue;
            if (tail[0] == "cgroup2")
            {
                var controllers = ReadWords(System.IO.Path.Combine(mountPoint, "cgroup.controllers"));
                seen.Add($"cgroup2 at {mountPoint} (controllers: {string.Join(' ', controllers)})");
                if (controllers.Contains("cpu"))
                    return (mountPoint, true);
            }
            else if (tail[0] == "cgroup")
            {
                seen.Add($"cgroup v1 at {mountPoint} ({tail[2]})");
                if (tail[2].Split(',').Contains("cpu"))
                    v1 ??= mountPoint;
            }
        }
        return v1 is not null
            ? (v1, false)
            : throw new InvalidOperationException("No mounted cgroup hierarchy has the cpu controller; seen: " +
                (seen.Count == 0 ? "no cgroup mounts" : string.Join("; ", seen)) + ".");
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());

    private static HashSet<string> ReadWords(string file) =>
        File.Exists(file) ? File.ReadAllText(file).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToHashSet() : [];

    private static void Write(string file, string value)
    {
        try
        {
            File.WriteAllText(file, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Could not write '{value}' to {file}: {e.Message}", e);
        }
    }
}

/// <summary>cpu.stat counters: enforcement periods in which the cgroup ran, and those in which it used up its quota.</summary>
internal readonly record struct Throttling(long Periods, long Throttled)
{
    public static Throttling operator -(Throttling after, Throttling before) =>
        new(after.Periods - before.Periods, after.Throttled - before.Throttled);
}
