using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Tests.Infrastructure;

/// <summary>
/// What the kernel says this process holds of BPF (fds whose link reads anon_inode:bpf-map, bpf-prog,
/// bpf-link, btf, [perf_event]; mappings of BPF maps), plus the loader's own live-handle counters. The
/// runtime opens and closes other fds lazily (timers, thread wake-ups), so a raw /proc/self/fd count is
/// not a leak signal; these are.
/// </summary>
internal readonly record struct FdCounter(int KernelBpfFds, int KernelBpfMappings, long LiveHandles, long LiveMappings)
{
    public static FdCounter Now()
    {
        // Finalizers of handles dropped by earlier tests must not make the count move under us.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var fds = 0;
        foreach (var entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(entry).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed while we looked (the fd of the directory listing itself)
            }
            if (target is not null && (target.StartsWith("anon_inode:bpf", StringComparison.Ordinal) ||
                                       target.StartsWith("anon_inode:btf", StringComparison.Ordinal) ||
                                       target == "anon_inode:[perf_event]"))
                fds++;
        }
        var mappings = File.ReadLines("/proc/self/maps").Count(l => l.Contains("anon_inode:bpf", StringComparison.Ordinal));
        return new FdCounter(fds, mappings, SafeFdHandle.LiveCount, SafeMmapHandle.LiveCount);
    }
}
