namespace OsqueryBpf.Bpf.RingBuffers;

/// <summary>
/// One record read in place from a ring buffer. <see cref="Data"/> points into the kernel's ring, so it
/// is only valid until <see cref="Dispose"/>, which hands the space back to the producers. Being a
/// ref struct, a lease cannot outlive the synchronous code that took it (nor cross an await).
/// </summary>
public ref struct RingBufferLease
{
    private readonly RingBufferReader? _reader;
    private readonly ulong _next;
    private bool _released;

    internal RingBufferLease(RingBufferReader reader, ReadOnlySpan<byte> data, ulong next)
    {
        _reader = reader;
        Data = data;
        _next = next;
        _released = false;
    }

    /// <summary>The record's bytes, as the BPF program wrote them.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Releases the record: advances the consumer position past it.</summary>
    public void Dispose()
    {
        if (_released || _reader is null)
            return;
        _released = true;
        _reader.ReleaseLease(_next);
    }
}
