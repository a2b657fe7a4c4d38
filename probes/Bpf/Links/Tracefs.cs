using System.Globalization;
using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.Interop;

namespace OsqueryBpf.Bpf.Links;

/// <summary>Finds tracefs (mounting it when absent) and reads tracepoint ids from it.</summary>
internal static class Tracefs
{
    private const string TracingPath = "/sys/kernel/tracing";
    private const string LegacyTracingPath = "/sys/kernel/debug/tracing";
    private static readonly Lock s_gate = new();
    private static string? s_root;

    /// <summary>The id perf_event_open needs for tracepoint "category/name" (tracefs events/category/name/id).</summary>
    public static ulong TracepointId(string category, string name)
    {
        var path = Path.Combine(Root(), "events", category, name, "id");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new KernelFeatureNotSupportedException($"the tracepoint '{category}/{name}'", null, Errno.ENOENT,
                $"{path} does not exist; check the name against the events/ folder of tracefs.", e);
        }
        return ulong.Parse(text.Trim(), CultureInfo.InvariantCulture);
    }

    private static string Root()
    {
        lock (s_gate)
        {
            if (s_root is not null)
                return s_root;
            foreach (var candidate in new[] { TracingPath, LegacyTracingPath })
            {
                if (Directory.Exists(Path.Combine(candidate, "events")))
                    return s_root = candidate;
            }
            // Not mounted at boot on some hosts (ours included): mount it where the kernel documents it.
            var errno = Libc.Mount("tracefs", TracingPath);
            if (errno != Errno.None && errno != Errno.EBUSY)
                throw ThrowHelper.SyscallFailed("mount", errno, $"tracefs at {TracingPath} (needed to look up tracepoint ids)");
            return s_root = TracingPath;
        }
    }
}
