namespace OsqueryBpf.Tls;

/// <summary>One ClientHello with the server's reply, if it came: what one ebpf_tls_events row is made of.</summary>
/// <typeparam name="TContext">What the caller keeps with the ClientHello (its record's process and addresses).</typeparam>
/// <param name="Flow">The client-to-server direction.</param>
/// <param name="Context">The caller's context of the ClientHello.</param>
/// <param name="Client">The ClientHello's parse result.</param>
/// <param name="ClientOutcome">How the reassembler handed the ClientHello over.</param>
/// <param name="Server">The ServerHello's parse result; null when none came within the wait.</param>
public readonly record struct TlsHandshake<TContext>(TlsFlow Flow, TContext Context, TlsHelloResult Client,
    TlsCaptureOutcome ClientOutcome, TlsHelloResult? Server);

/// <summary>
/// Pairs each ClientHello with the ServerHello of the same connection (the reverse flow), so that one row carries
/// both what was offered and what was chosen. A ClientHello waits at most <see cref="MaxWaitNanoseconds"/> for its
/// reply and is then emitted alone; at most <see cref="Capacity"/> wait at once (beyond, the oldest is emitted
/// alone, counted in <see cref="Evicted"/>). A ServerHello with no ClientHello waiting is counted in
/// <see cref="UnmatchedServerHellos"/>. Every ClientHello is emitted exactly once. Not thread-safe.
/// </summary>
/// <typeparam name="TContext">What the caller keeps with each ClientHello.</typeparam>
public sealed class TlsHandshakeJoiner<TContext>
{
    private readonly Dictionary<TlsFlow, Pending> _waiting = new();
    private readonly Queue<(TlsFlow Flow, long Ns)> _order = new(); // arrival order, for expiry and eviction
    private readonly Action<TlsHandshake<TContext>> _emit;

    private readonly record struct Pending(TContext Context, TlsHelloResult Client, TlsCaptureOutcome Outcome, long Ns);

    /// <summary>A joiner that hands each row to <paramref name="emit"/>.</summary>
    public TlsHandshakeJoiner(Action<TlsHandshake<TContext>> emit, int capacity = 4096, long maxWaitNanoseconds = 1_000_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWaitNanoseconds, 0);
        _emit = emit;
        Capacity = capacity;
        MaxWaitNanoseconds = maxWaitNanoseconds;
    }

    /// <summary>ClientHellos that may wait at once.</summary>
    public int Capacity { get; }

    /// <summary>How long a ClientHello waits for its ServerHello.</summary>
    public long MaxWaitNanoseconds { get; }

    /// <summary>ClientHellos waiting now.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>Rows emitted with a ServerHello.</summary>
    public long Joined { get; private set; }

    /// <summary>Rows emitted without one because none came in time (or the connection's ClientHello was repeated).</summary>
    public long Alone { get; private set; }

    /// <summary>Rows emitted without a ServerHello because the joiner was full.</summary>
    public long Evicted { get; private set; }

    /// <summary>ServerHellos for which no ClientHello was waiting.</summary>
    public long UnmatchedServerHellos { get; private set; }

    /// <summary>A ClientHello sent on <paramref name="flow"/> at <paramref name="timeNs"/>: waits for its reply.</summary>
    public void OnClientHello(in TlsFlow flow, TContext context, TlsHelloResult client, TlsCaptureOutcome outcome, long timeNs)
    {
        Expire(timeNs);
        if (_waiting.Remove(flow, out var earlier))
        {
            Alone++; // the same connection again (a new connection on the same ports): the first goes alone
            _emit(new TlsHandshake<TContext>(flow, earlier.Context, earlier.Client, earlier.Outcome, null));
        }
        // The queue also holds entries of ClientHellos already joined (skipped here and in Expire), so it is
        // bounded by the arrival rate times the wait, and the dictionary by Capacity.
        while (_waiting.Count >= Capacity && _order.TryDequeue(out var oldest))
        {
            if (_waiting.TryGetValue(oldest.Flow, out var pending) && pending.Ns == oldest.Ns)
            {
                _waiting.Remove(oldest.Flow);
                Evicted++;
                _emit(new TlsHandshake<TContext>(oldest.Flow, pending.Context, pending.Client, pending.Outcome, null));
            }
        }
        _waiting[flow] = new Pending(context, client, outcome, timeNs);
        _order.Enqueue((flow, timeNs));
    }

    /// <summary>A ServerHello sent on <paramref name="flow"/> (server to client): completes the ClientHello of the reverse flow.</summary>
    public void OnServerHello(in TlsFlow flow, TlsHelloResult server, long timeNs)
    {
        var clientFlow = flow.Reverse();
        if (!_waiting.Remove(clientFlow, out var pending))
        {
            UnmatchedServerHellos++;
            Expire(timeNs);
            return;
        }
        Joined++;
        _emit(new TlsHandshake<TContext>(clientFlow, pending.Context, pending.Client, pending.Outcome, server));
        Expire(timeNs);
    }

    /// <summary>Emits, alone, every ClientHello that has waited longer than <see cref="MaxWaitNanoseconds"/> at <paramref name="nowNs"/>.</summary>
    public void Expire(long nowNs)
    {
        while (_order.TryPeek(out var oldest) && nowNs - oldest.Ns > MaxWaitNanoseconds)
        {
            _order.Dequeue();
            if (_waiting.TryGetValue(oldest.Flow, out var pending) && pending.Ns == oldest.Ns)
            {
                _waiting.Remove(oldest.Flow);
                Alone++;
                _emit(new TlsHandshake<TContext>(oldest.Flow, pending.Context, pending.Client, pending.Outcome, null));
            }
        }
    }

    /// <summary>Emits every waiting ClientHello alone (at shutdown).</summary>
    public void Flush()
    {
        foreach (var (flow, pending) in _waiting)
        {
            Alone++;
            _emit(new TlsHandshake<TContext>(flow, pending.Context, pending.Client, pending.Outcome, null));
        }
        _waiting.Clear();
        _order.Clear();
    }
}
