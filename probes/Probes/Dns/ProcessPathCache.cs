namespace OsqueryBpf.Probes;

/// <summary>
/// The binary of a process by pid, read from /proc/PID/exe and cached briefly: the fallback for a client whose exec
/// the process probe did not see (<see cref="Decoding.ProcessImages"/>). The DNS probe sees packets, not tasks, so it
/// cannot read the binary in the kernel; a process that already exited gives an empty path.
/// </summary>
internal sealed class ProcessPathCache
{
    private const int MaxEntries = 4096;
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5); // pids are reused; do not trust an old answer
    private readonly Dictionary<long, (string Path, DateTime At)> _entries = new();

    public string Get(long pid)
    {
        var now = DateTime.UtcNow;
        if (_entries.TryGetValue(pid, out var entry) && now - entry.At < Lifetime)
            return entry.Path;
        if (_entries.Count >= MaxEntries)
            _entries.Clear();
        string path;
        try
        {
            path = new FileInfo($"/proc/{pid}/exe").LinkTarget ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            path = "";
        }
        _entries[pid] = (path, now);
        return path;
    }
}
