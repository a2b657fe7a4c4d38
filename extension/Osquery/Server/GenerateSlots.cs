namespace OsqueryBpf.Osquery.Server;

/// <summary>
/// Turns for generate calls. A turn lasts from the start of the generate until its reply has been written, because
/// that is how long the reply's memory (up to the reply cap) is held: a few turns bound the memory of concurrent
/// queries, and a short queue bounds the connections a burst of calls can hold. Pings, columns and shutdown
/// never wait for a turn.
/// </summary>
internal sealed class GenerateSlots
{
    private readonly SemaphoreSlim _slots;
    private int _waiting;
    private int _active;

    public GenerateSlots(int concurrent, int queued)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(concurrent);
        ArgumentOutOfRangeException.ThrowIfNegative(queued);
        Concurrent = concurrent;
        Queued = queued;
        _slots = new SemaphoreSlim(concurrent, concurrent);
    }

    /// <summary>Generates that run (or write their reply) at once.</summary>
    public int Concurrent { get; }

    /// <summary>Generates that may wait for a turn.</summary>
    public int Queued { get; }

    /// <summary>Turns taken now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Waits for a turn; null at once when <see cref="Queued"/> calls are waiting already.</summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting.</exception>
    public async Task<IDisposable?> EnterAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _waiting) > Queued)
        {
            Interlocked.Decrement(ref _waiting);
            return null;
        }
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        Interlocked.Increment(ref _active);
        return new Turn(this);
    }

    private sealed class Turn(GenerateSlots owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0)
                return;
            Interlocked.Decrement(ref owner._active);
            owner._slots.Release();
        }
    }
}
