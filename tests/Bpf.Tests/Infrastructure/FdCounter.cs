using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Tests.Infrastructure;

/// <summary>Process-wide open-descriptor and live-handle counts, to assert that disposal leaves nothing behind.</summary>
internal readonly record struct FdCounter(int OpenFds, long LiveHandles, long LiveMappings)
{
    public static FdCounter Now()
    {
        // Finalizers of handles dropped by earlier tests must not make the count move under us.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return new FdCounter(Directory.GetFileSystemEntries("/proc/self/fd").Length, SafeFdHandle.LiveCount, SafeMmapHandle.LiveCount);
    }
}
