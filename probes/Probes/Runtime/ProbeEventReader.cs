using OsqueryBpf.Bpf.RingBuffers;
using OsqueryBpf.Events;

namespace OsqueryBpf.Probes.Runtime;

/// <summary>
/// Reads a loaded probe's ring on its own thread and decodes every record into events for a consumer (the store in
/// the product, a test's list in the tests). A record the decoder refuses is counted, never dropped silently.
/// </summary>
public sealed class ProbeEventReader : IDisposable
{
    private readonly RingBufferReader _ring;
    private readonly RingRecordHandler _handler;
    private long _malformed;
    private string? _lastError;

    /// <summary>
    /// Starts reading <paramref name="instance"/>'s ring with a decoder made for <paramref name="settings"/> and
    /// <paramref name="context"/>; every event goes to <paramref name="consume"/>, on the reader thread.
    /// </summary>
    /// <param name="instance">The loaded probe.</param>
    /// <param name="settings">Its settings (the decoder's limits).</param>
    /// <param name="context">The runtime context (clock).</param>
    /// <param name="consume">Receives each event.</param>
    /// <param name="batchInterval">How long the reader pauses after emptying the ring (see <see cref="RingBufferReader.BatchInterval"/>).</param>
    /// <param name="maxLatency">How often the reader drains even when not woken (see <see cref="RingBufferReader.MaxLatency"/>).</param>
    public ProbeEventReader(ProbeInstance instance, ProbeSettings settings, ProbeContext context, Action<Event> consume,
        TimeSpan? batchInterval = null, TimeSpan? maxLatency = null)
    {
        var definition = instance.Definition;
        RingBytes = instance.Collection.Map(definition.RingMap).MaxEntries;
        _ring = instance.Collection.OpenRingBuffer(definition.RingMap, definition.LostMap);
        if (batchInterval is { } batch)
            _ring.BatchInterval = batch;
        if (maxLatency is { } latency)
            _ring.MaxLatency = latency;
        _handler = Handler(definition.CreateDecoder(settings, context), consume);
        _ring.Start(_handler, "ring " + definition.RingMap);
    }

    /// <summary>
    /// Decodes every record in the ring now, on the calling thread (the reader thread waits meanwhile), and returns how
    /// many. For a consumer that must not see an event before the records written ahead of it in this ring.
    /// </summary>
    public int CatchUp()
    {
        try
        {
            return _ring.Drain(_handler);
        }
        catch (ObjectDisposedException)
        {
            return 0; // stopping
        }
    }

    /// <summary>Size of the ring in bytes.</summary>
    public long RingBytes { get; }

    /// <summary>Records received from the kernel.</summary>
    public long Received => _ring.Received;

    /// <summary>Records the kernel could not put into the ring (it was full).</summary>
    public ulong Lost => _ring.Lost;

    /// <summary>Records the decoder refused.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Why the last refused record was refused.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>Raised (on the reader thread) for each refused record, with the decoder's reason.</summary>
    public event Action<string>? Refused;

    /// <summary>Stops the reader thread and unmaps the ring.</summary>
    public void Dispose() => _ring.Dispose();

    private RingRecordHandler Handler(IRecordDecoder decoder, Action<Event> consume)
    {
        var multi = decoder as IMultiEventDecoder;
        var events = new List<Event>();
        return record =>
        {
            if (multi is not null)
            {
                events.Clear();
                if (multi.Decode(record, events) is { } error)
                    Refuse(error);
                foreach (var evt in events)
                    consume(evt);
            }
            else if (decoder.TryDecode(record, out var evt, out var error))
            {
                consume(evt);
            }
            else
            {
                Refuse(error);
            }
        };
    }

    private void Refuse(string error)
    {
        Interlocked.Increment(ref _malformed);
        Volatile.Write(ref _lastError, error);
        Refused?.Invoke(error);
    }
}
