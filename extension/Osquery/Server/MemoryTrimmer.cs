using OsqueryBpf.Osquery.Tables;

namespace OsqueryBpf.Osquery.Server;

/// <summary>
/// Gives the memory of large replies back to the system once the extension is quiet again. Replies of tens of
/// megabytes live in 256 KiB segments that the next generates reuse (<see cref="TableRows.SegmentPool"/>); once
/// the burst is over they are dropped and a full, compacting collection decommits them, because otherwise the
/// runtime keeps those pages (and the process's RSS) long after the replies were sent, which osqueryd's watchdog
/// and the host's other work pay for. One collection runs a second after the last large reply, and only when no
/// generate is running, so a burst of queries pays for it once.
/// </summary>
internal sealed class MemoryTrimmer : IDisposable
{
    /// <summary>Replies at least this large are worth a collection afterwards.</summary>
    public const long LargeReplyBytes = 4 * 1024 * 1024;

    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    private readonly GenerateSlots _slots;
    private readonly Timer _timer;

    public MemoryTrimmer(GenerateSlots slots)
    {
        _slots = slots;
        _timer = new Timer(_ => Collect(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Called after a reply of <paramref name="bytes"/> was sent (or abandoned) and its rows dropped.</summary>
    public void ReplySent(long bytes)
    {
        if (bytes >= LargeReplyBytes)
            _timer.Change(Quiet, Timeout.InfiniteTimeSpan); // (re)starts the quiet period
    }

    private void Collect()
    {
        if (_slots.Active > 0)
        {
            _timer.Change(Quiet, Timeout.InfiniteTimeSpan); // the running generate will be followed by its own reply
            return;
        }
        // Aggressive: compacts the large-object heap too and decommits the freed memory.
        TableRows.SegmentPool.Trim();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    public void Dispose() => _timer.Dispose();
}
