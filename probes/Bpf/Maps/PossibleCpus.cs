namespace OsqueryBpf.Bpf.Maps;

/// <summary>
/// The number of possible CPUs, which sizes per-CPU map values: the kernel copies one value slot per
/// possible CPU (not per online CPU), so a buffer sized by Environment.ProcessorCount can be overrun.
/// </summary>
public static class PossibleCpus
{
    private const string PossiblePath = "/sys/devices/system/cpu/possible";
    private static readonly Lazy<int> s_count = new(() => Parse(File.ReadAllText(PossiblePath)));

    /// <summary>Highest possible CPU index plus one, from /sys/devices/system/cpu/possible.</summary>
    public static int Count => s_count.Value;

    /// <summary>Parses a CPU list such as "0-3" or "0,2-5,7" and returns the highest index plus one.</summary>
    internal static int Parse(string cpuList)
    {
        var highest = -1;
        foreach (var part in cpuList.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = part.Split('-');
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, out _)))
                throw new FormatException($"The CPU list '{cpuList.Trim()}' is not in the kernel's 'a-b,c' format.");
            highest = Math.Max(highest, int.Parse(bounds[^1]));
        }
        if (highest < 0)
            throw new FormatException($"The CPU list '{cpuList.Trim()}' names no CPU.");
        return highest + 1;
    }
}
