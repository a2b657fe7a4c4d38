namespace OsqueryBpf.Bpf;

/// <summary>The running kernel's release, for messages and feature gates.</summary>
public static class KernelVersion
{
    private static readonly Lazy<string> s_running = new(ReadRelease);

    /// <summary>The kernel release string ("6.18.44-fc-v669"), or "unknown".</summary>
    public static string Running => s_running.Value;

    /// <summary>The running kernel's major.minor version, or null when the release string cannot be parsed.</summary>
    public static Version? RunningVersion => Parse(Running);

    /// <summary>Whether the running kernel is at least <paramref name="minimum"/> ("5.8"); false when unknown.</summary>
    public static bool IsAtLeast(string minimum) =>
        RunningVersion is { } running && Version.TryParse(minimum, out var wanted) && running >= wanted;

    /// <summary>Parses "6.18.44-fc" into 6.18.</summary>
    internal static Version? Parse(string release)
    {
        var parts = release.Split('.', 3);
        if (parts.Length < 2 || !int.TryParse(parts[0], out var major))
            return null;
        var minorDigits = new string(parts[1].TakeWhile(char.IsAsciiDigit).ToArray());
        return int.TryParse(minorDigits, out var minor) ? new Version(major, minor) : null;
    }

    private static string ReadRelease()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
