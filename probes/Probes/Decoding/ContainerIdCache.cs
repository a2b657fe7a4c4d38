using System.Collections.Concurrent;

namespace OsqueryBpf.Probes.Decoding;

/// <summary>
/// The <c>container_id</c> of events, by cgroup id, shared by all decoders (thread-safe).
/// </summary>
/// <remarks>
/// The kernel gives each event the task's cgroup v2 id. The first time an id is seen, the cache reads
/// <c>/proc/PID/cgroup</c> of that event's process and parses the container id from the path
/// (<see cref="ContainerIds.FromCgroupPath"/>); the result, empty on the host, is kept for the id, so
/// the cost is one small file read per cgroup, not per event. When the process is already gone the
/// event gets an empty id and the next event of that cgroup tries again. A process that moved to
/// another cgroup between the event and the read is attributed to the cgroup it moved to (rare:
/// container runtimes place a process before it runs).
/// </remarks>
public sealed class ContainerIdCache
{
    private const int MaxEntries = 65536;
    private readonly ConcurrentDictionary<ulong, string> _byCgroupId = new();
    private readonly Func<long, string?> _readProcCgroup;

    /// <summary>The process-wide cache reading the real /proc.</summary>
    public static ContainerIdCache Shared { get; } = new(ReadProcCgroup);

    /// <summary>A cache reading cgroup files through <paramref name="readProcCgroup"/> (pid to file text, null when gone).</summary>
    public ContainerIdCache(Func<long, string?> readProcCgroup) => _readProcCgroup = readProcCgroup;

    /// <summary>The container id of the cgroup <paramref name="cgroupId"/>, learning it from process <paramref name="pid"/> if new.</summary>
    public string Get(ulong cgroupId, long pid)
    {
        if (_byCgroupId.TryGetValue(cgroupId, out var known))
            return known;
        var text = _readProcCgroup(pid);
        if (text is null)
            return "";
        var id = FromProcCgroup(text);
        if (_byCgroupId.Count >= MaxEntries)
            _byCgroupId.Clear(); // cgroups come and go; a bound keeps a long-running host from growing it forever
        _byCgroupId[cgroupId] = id;
        return id;
    }

    /// <summary>The container id in the text of a /proc/PID/cgroup file (the v2 line first, then v1 lines).</summary>
    public static string FromProcCgroup(string text)
    {
        string fromV1 = "";
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "hierarchy-id:controllers:path"; cgroup v2 is "0::/path".
            int second = line.IndexOf(':', line.IndexOf(':') + 1);
            if (second < 0)
                continue;
            var id = ContainerIds.FromCgroupPath(line[(second + 1)..]);
            if (line.StartsWith("0::", StringComparison.Ordinal))
                return id;
            if (fromV1.Length == 0)
                fromV1 = id;
        }
        return fromV1;
    }

    private static string? ReadProcCgroup(long pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cgroup");
        }
        catch (IOException)
        {
            return null; // the process has exited
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
