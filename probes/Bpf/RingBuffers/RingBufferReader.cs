using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Maps;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.RingBuffers;

/// <summary>
/// Reads a BPF ring buffer (BPF_MAP_TYPE_RINGBUF) from user space: zero-copy records, epoll wake-ups on
/// the map fd, and an eventfd so <see cref="Dispose"/> wakes a blocked reader at once.
/// </summary>
/// <remarks>
/// <para>Requires Linux 5.8.</para>
/// <para>Single consumer: call <see cref="TryRead"/> and <see cref="Wait"/> from one thread at a time, or let
/// <see cref="Start"/> run a dedicated reader thread. <see cref="Drain"/> may also be called from other threads
/// beside the reader thread (it takes a lock), to bring the ring up to date now.</para>
/// <para>Lost records: by convention the BPF side counts failed bpf_ringbuf_reserve/output calls in a
/// per-CPU array map of one u64 (named "&lt;ring&gt;_lost"); pass it to see the total in <see cref="Lost"/>.</para>
/// </remarks>
public sealed class RingBufferReader : IDisposable
{
    private const ulong RingTag = 0;
    private const ulong WakeTag = 1;
    /// <summary>Publish the consumer position at least this often within a batch, so producers get space back.</summary>
    private const int CommitEvery = 64;

    private readonly RingView _view;
    private readonly SafeEpollHandle _epoll;
    private readonly SafeEventFdHandle _wake;
    private readonly BpfMap? _lostCounter;
    private readonly Lock _gate = new();
    // Drain may run on the reader thread and on a thread that needs the ring up to date now (a decoder of another
    // ring catching up): one at a time, so records are handled once and in order.
    private readonly Lock _drainGate = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ulong _position; // our read position; published to the kernel by Commit
    private bool _leaseOutstanding;
    private long _received;
    private long _discarded;
    // Operations in flight plus one for the owner. The ring stays mapped and the epoll/eventfd stay open
    // until it reaches zero, so Dispose on one thread never pulls memory from under a Wait, Drain or lease
    // on another; the last one out releases everything.
    private int _users = 1;
    private volatile bool _closed;
    private Thread? _thread;

    /// <summary>Maps <paramref name="ring"/> for reading. <paramref name="lostCounter"/> is the optional per-CPU drop counter map.</summary>
    public RingBufferReader(BpfMap ring, BpfMap? lostCounter = null)
    {
        if (ring.Type != MapType.RingBuf)
            throw new ArgumentException($"Map '{ring.Name}' is a {ring.Type} map, not a ring buffer.", nameof(ring));
        if (lostCounter is not null && (lostCounter.Type != MapType.PerCpuArray || lostCounter.ValueSize != 8 || lostCounter.KeySize != 4))
            throw new ArgumentException($"The lost-record counter '{lostCounter.Name}' must be a per-CPU array of u64 values with u32 keys.", nameof(lostCounter));
        Name = ring.Name;
        _lostCounter = lostCounter;
        _view = new RingView(ring.Handle, ring.MaxEntries, ring.Name);
        _epoll = null!;
        _wake = null!;
        try
        {
            _epoll = Libc.EpollCreate();
            _wake = Libc.EventFd();
            Libc.EpollAdd(_epoll, ring.Handle, RingTag);
            Libc.EpollAdd(_epoll, _wake, WakeTag);
        }
        catch
        {
            _wake?.Dispose();
            _epoll?.Dispose();
            _view.Dispose();
            throw;
        }
        _position = _view.ConsumerPosition;
    }

    /// <summary>The ring buffer map's name.</summary>
    public string Name { get; }

    /// <summary>Records handed out so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Records the producer discarded (bpf_ringbuf_discard), skipped by the reader.</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    /// <summary>Records the BPF side could not reserve (ring full), summed over CPUs; 0 without a counter map.</summary>
    public ulong Lost => _lostCounter?.SumPerCpu(0) ?? 0;

    /// <summary>Bytes written by producers and not yet consumed (0 once disposed).</summary>
    public ulong PendingBytes
    {
        get
        {
            if (!TryEnter())
                return 0;
            try
            {
                return _view.PendingBytes;
            }
            finally
            {
                Exit();
            }
        }
    }

    /// <summary>Completes when the thread started by <see cref="Start"/> ends; faulted if the handler threw.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// How long the <see cref="Start"/> thread pauses after a batch that emptied the ring (default: no pause).
    /// The kernel wakes the reader only when a record is committed while the reader has caught up
    /// (kernel/bpf/ringbuf.c bpf_ringbuf_commit), so a reader that drains every record at once is woken
    /// once per record: a context switch per event under a syscall-heavy workload. Pausing a millisecond
    /// or two lets records accumulate and be read in batches without wake-ups, at the cost of that much
    /// latency. Keep it well below the time the ring takes to fill at peak rate.
    /// </summary>
    public TimeSpan BatchInterval { get; set; }

    /// <summary>
    /// The longest a record may wait in the ring when the kernel sends no wake-up, as with BPF programs that pass
    /// BPF_RB_NO_WAKEUP until enough bytes are pending: the reader thread also drains this often. Infinite (the
    /// default) waits for wake-ups only. Set before <see cref="Start"/>.
    /// </summary>
    public TimeSpan MaxLatency { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsClosed => _closed;

    /// <summary>
    /// Takes the next committed record in place. The lease must be disposed before the next read.
    /// Returns false when no committed record is available (empty, or the next one is still being written).
    /// </summary>
    public bool TryRead(out RingBufferLease lease)
    {
        if (!TryEnter())
            throw new ObjectDisposedException(GetType().FullName, $"The reader of ring buffer '{Name}' is disposed.");
        var leased = false;
        try
        {
            if (_leaseOutstanding)
                throw new InvalidOperationException($"A record of ring buffer '{Name}' is still leased; dispose the lease before reading the next one.");
            while (true)
            {
                var next = _position;
                switch (_view.TryRead(ref next, out var data))
                {
                    case RingRecordStatus.Record:
                        _leaseOutstanding = true;
                        leased = true; // the lease keeps our use until it is disposed
                        lease = new RingBufferLease(this, data, next);
                        return true;
                    case RingRecordStatus.Discarded:
                        Interlocked.Increment(ref _discarded);
                        _position = next;
                        _view.Commit(next);
                        continue;
                    default:
                        lease = default;
                        return false;
                }
            }
        }
        finally
        {
            if (!leased)
                Exit();
        }
    }

    internal void ReleaseLease(ulong next)
    {
        _leaseOutstanding = false;
        _position = next;
        Interlocked.Increment(ref _received);
        _view.Commit(next);
        Exit();
    }

    /// <summary>
    /// Hands up to <paramref name="maxRecords"/> committed records to <paramref name="handler"/>, in order,
    /// and returns how many it handled. Space is given back to producers as the batch goes. Safe to call from several
    /// threads: one drains at a time.
    /// </summary>
    public int Drain(RingRecordHandler handler, int maxRecords = int.MaxValue)
    {
        lock (_drainGate)
            return DrainLocked(handler, maxRecords);
    }

    private int DrainLocked(RingRecordHandler handler, int maxRecords)
    {
        if (!TryEnter())
            throw new ObjectDisposedException(GetType().FullName, $"The reader of ring buffer '{Name}' is disposed.");
        var handled = 0;
        var sinceCommit = 0;
        var position = _position;
        try
        {
            if (_leaseOutstanding)
                throw new InvalidOperationException($"A record of ring buffer '{Name}' is still leased; dispose the lease before draining.");
            while (handled < maxRecords)
            {
                var next = position;
                var status = _view.TryRead(ref next, out var data);
                if (status is RingRecordStatus.Empty or RingRecordStatus.Busy)
                    break;
                // Consumed before the handler runs: a handler that throws on a poison record must not
                // wedge the ring on it.
                position = next;
                if (status == RingRecordStatus.Record)
                {
                    handled++;
                    handler(data);
                }
                else
                {
                    Interlocked.Increment(ref _discarded);
                }
                if (++sinceCommit >= CommitEvery)
                {
                    _view.Commit(position);
                    sinceCommit = 0;
                }
            }
        }
        finally
        {
            _position = position;
            _view.Commit(position);
            Interlocked.Add(ref _received, handled);
            Exit();
        }
        return handled;
    }

    /// <summary>
    /// Blocks until records may be available, <paramref name="timeoutMilliseconds"/> pass (-1: no limit) or
    /// the reader is disposed. Returns true when the ring has data to read, false on timeout or disposal.
    /// </summary>
    public bool Wait(int timeoutMilliseconds = -1)
    {
        if (!TryEnter())
            return false;
        try
        {
            Span<ulong> ready = stackalloc ulong[2];
            var spin = new SpinWait();
            while (!_closed)
            {
                if (_view.PendingBytes != 0)
                {
                    // Data is there; if the next record is still busy (being written by a BPF program on another
                    // CPU, which takes microseconds), epoll would report readable in a loop, so spin briefly.
                    var probe = _position;
                    if (_view.TryRead(ref probe, out _) != RingRecordStatus.Busy)
                        return true;
                    spin.SpinOnce();
                    continue;
                }
                // Level-triggered: the ring fd is readable while producer != consumer, the eventfd once signalled.
                var n = Libc.EpollWait(_epoll, ready, timeoutMilliseconds);
                if (n == 0 && timeoutMilliseconds >= 0)
                    return !_closed && _view.PendingBytes != 0;
            }
            return false;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Starts a dedicated reader thread that waits and drains into <paramref name="handler"/> until the reader
    /// is disposed. A handler exception stops the thread and faults <see cref="Completion"/>.
    /// </summary>
    public Thread Start(RingRecordHandler handler, string? threadName = null)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_thread is not null)
                throw new InvalidOperationException($"Ring buffer '{Name}' already has a reader thread.");
            _thread = new Thread(() => Run(handler)) { IsBackground = true, Name = threadName ?? $"ringbuf {Name}" };
            _thread.Start();
            return _thread;
        }
    }

    private void Run(RingRecordHandler handler)
    {
        try
        {
            const int BatchSize = 4096;
            while (true)
            {
                // With a finite MaxLatency the ring is drained on a timer too, for BPF programs that suppress
                // wake-ups until enough bytes are pending (BPF_RB_NO_WAKEUP), so a quiet tail is not held back.
                var timeout = MaxLatency == Timeout.InfiniteTimeSpan ? -1 : (int)MaxLatency.TotalMilliseconds;
                if (!Wait(timeout) && timeout < 0)
                    break;
                if (_closed)
                    break;
                var handled = Drain(handler, BatchSize);
                var pause = BatchInterval;
                if (handled < BatchSize && pause > TimeSpan.Zero && !_closed)
                    Thread.Sleep(pause);
            }
            _completion.TrySetResult();
        }
        catch (ObjectDisposedException) when (_closed)
        {
            _completion.TrySetResult(); // disposed between Wait and Drain
        }
        catch (Exception e)
        {
            _completion.TrySetException(e);
        }
    }

    /// <summary>
    /// Wakes every blocked <see cref="Wait"/>, stops the reader thread (after its current record) and unmaps
    /// the ring once no operation or lease is using it.
    /// </summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_gate)
        {
            if (_closed)
                return;
            _closed = true;
            thread = _thread;
            Libc.EventFdSignal(_wake);
        }
        if (thread is not null && thread != Thread.CurrentThread)
            thread.Join();
        Exit(); // the owner's use
        if (thread is null)
            _completion.TrySetResult();
    }

    private bool TryEnter()
    {
        while (true)
        {
            var users = Volatile.Read(ref _users);
            if (users == 0 || _closed)
                return false;
            if (Interlocked.CompareExchange(ref _users, users + 1, users) == users)
                return true;
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _users) != 0)
            return;
        _view.Dispose();
        _epoll.Dispose();
        _wake.Dispose();
    }
}
