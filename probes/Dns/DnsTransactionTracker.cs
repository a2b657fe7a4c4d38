namespace OsqueryBpf.Dns;

/// <summary>
/// Pairs DNS responses with their queries to give each response a latency. Queries wait in a fixed-size
/// table (no allocation after construction) until their response comes, until they are older than the
/// maximum age, or until room is needed for a newer query; each of those outcomes is counted.
/// <para>
/// Timestamps are the caller's, in nanoseconds on one clock (the kernel's boot clock for captured packets),
/// and should arrive roughly in order; each call first drops the queries older than the maximum age at its own timestamp.
/// A repeated query (a retransmission, or the same packet seen on two interfaces) keeps the first
/// timestamp, so latency is what the client waited. A response whose query is unknown is counted, not
/// matched, and a second response to the same query is such a response.
/// </para>
/// <para>Not thread-safe: one thread (the capture pipeline's) calls it.</para>
/// </summary>
public sealed class DnsTransactionTracker
{
    private const int None = -1;

    private readonly Dictionary<DnsTransactionKey, int> _slots;
    private readonly DnsTransactionKey[] _keys;
    private readonly long[] _timestamps;
    private readonly int[] _older;
    private readonly int[] _newer;
    private readonly long _maxAge;
    private int _oldest = None;
    private int _newest = None;
    private int _free;

    /// <summary>Creates a tracker.</summary>
    /// <param name="capacity">The most unanswered queries held at once; the oldest makes room for a new one.</param>
    /// <param name="maxAgeNanoseconds">How long a query waits for its response before it is dropped as unanswered.</param>
    public DnsTransactionTracker(int capacity = 16384, long maxAgeNanoseconds = 30_000_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAgeNanoseconds, 1);
        Capacity = capacity;
        _maxAge = maxAgeNanoseconds;
        _slots = new Dictionary<DnsTransactionKey, int>(capacity);
        _keys = new DnsTransactionKey[capacity];
        _timestamps = new long[capacity];
        _older = new int[capacity];
        _newer = new int[capacity];
        // Free slots form a chain through _newer.
        for (var i = 0; i < capacity; i++)
            _newer[i] = i + 1 < capacity ? i + 1 : None;
        _free = 0;
    }

    /// <summary>The most queries held at once.</summary>
    public int Capacity { get; }

    /// <summary>Queries waiting for a response now.</summary>
    public int Pending => _slots.Count;

    /// <summary>Queries recorded (duplicates not included).</summary>
    public long Queries { get; private set; }

    /// <summary>Responses paired with a query.</summary>
    public long Matched { get; private set; }

    /// <summary>Queries seen again while their first copy was still waiting.</summary>
    public long DuplicateQueries { get; private set; }

    /// <summary>Responses with no waiting query (never seen, already answered, or dropped).</summary>
    public long UnmatchedResponses { get; private set; }

    /// <summary>Queries dropped unanswered because they grew older than the maximum age.</summary>
    public long ExpiredQueries { get; private set; }

    /// <summary>Queries dropped unanswered to make room (the table was at capacity).</summary>
    public long EvictedQueries { get; private set; }

    /// <summary>Responses paired with a query that had a later timestamp; they get no latency.</summary>
    public long NegativeLatencies { get; private set; }

    /// <summary>Records a query sent at <paramref name="timestampNs"/>.</summary>
    /// <returns>False when the same query was already waiting (counted in <see cref="DuplicateQueries"/>).</returns>
    public bool OnQuery(in DnsTransactionKey key, long timestampNs)
    {
        Expire(timestampNs);
        if (_slots.ContainsKey(key))
        {
            DuplicateQueries++;
            return false;
        }
        if (_free == None)
        {
            Remove(_oldest);
            EvictedQueries++;
        }

        var slot = _free;
        _free = _newer[slot];
        _keys[slot] = key;
        _timestamps[slot] = timestampNs;
        _older[slot] = _newest;
        _newer[slot] = None;
        if (_newest != None)
            _newer[_newest] = slot;
        _newest = slot;
        if (_oldest == None)
            _oldest = slot;
        _slots.Add(key, slot);
        Queries++;
        return true;
    }

    /// <summary>Pairs a response received at <paramref name="timestampNs"/> with its query.</summary>
    /// <returns>Nanoseconds since the query, or null when no query was waiting (or the clock went backwards).</returns>
    public long? OnResponse(in DnsTransactionKey key, long timestampNs)
    {
        Expire(timestampNs);
        if (!_slots.TryGetValue(key, out var slot))
        {
            UnmatchedResponses++;
            return null;
        }
        var latency = timestampNs - _timestamps[slot];
        Remove(slot);
        Matched++;
        if (latency < 0)
        {
            NegativeLatencies++;
            return null;
        }
        return latency;
    }

    /// <summary>Drops (and counts) queries older than the maximum age at <paramref name="nowNs"/>.</summary>
    /// <returns>How many were dropped.</returns>
    public int Expire(long nowNs)
    {
        var dropped = 0;
        // Oldest first; insertion order is time order for a caller that delivers events in order.
        while (_oldest != None && nowNs - _timestamps[_oldest] > _maxAge)
        {
            Remove(_oldest);
            ExpiredQueries++;
            dropped++;
        }
        return dropped;
    }

    private void Remove(int slot)
    {
        _slots.Remove(_keys[slot]);
        var older = _older[slot];
        var newer = _newer[slot];
        if (older != None)
            _newer[older] = newer;
        else
            _oldest = newer;
        if (newer != None)
            _older[newer] = older;
        else
            _newest = older;
        _keys[slot] = default;
        _newer[slot] = _free;
        _free = slot;
    }
}
