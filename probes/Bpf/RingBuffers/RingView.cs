using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.RingBuffers;

/// <summary>
/// Position arithmetic over a BPF ring buffer's memory (kernel/bpf/ringbuf.c): a consumer position the
/// reader owns (RW page), a producer position the kernel owns, and the data area, which the kernel maps
/// twice back to back so a record that wraps past the end is still contiguous. This and Interop/ are the
/// only unsafe code in the loader.
/// </summary>
/// <remarks>Single consumer: one thread reads at a time.</remarks>
internal sealed unsafe class RingView : IDisposable
{
    /// <summary>BPF_RINGBUF_BUSY_BIT: reserved, not yet submitted or discarded.</summary>
    public const uint BusyBit = 1u << 31;
    /// <summary>BPF_RINGBUF_DISCARD_BIT: the producer discarded the record; skip it.</summary>
    public const uint DiscardBit = 1u << 30;
    /// <summary>BPF_RINGBUF_HDR_SZ: u32 length+flags, u32 page offset.</summary>
    public const int HeaderSize = 8;

    private readonly SafeMmapHandle? _consumerMapping;
    private readonly SafeMmapHandle? _producerMapping;
    private readonly ulong* _consumerPosition;
    private readonly ulong* _producerPosition;
    private readonly byte* _data;
    private readonly ulong _mask;
    private readonly ulong _size;
    private bool _disposed;

    /// <summary>Maps the ring of <paramref name="ringMap"/> (a BPF_MAP_TYPE_RINGBUF of <paramref name="size"/> data bytes).</summary>
    public RingView(SafeBpfHandle ringMap, ulong size, string mapName)
    {
        var page = (nuint)Libc.PageSize;
        _consumerMapping = Libc.Mmap(ringMap, page, Libc.PROT_READ | Libc.PROT_WRITE, 0, $"the consumer page of ring buffer '{mapName}'");
        try
        {
            // The producer page, then the data pages twice (ringbuf_map_mmap_ro allows only read access).
            _producerMapping = Libc.Mmap(ringMap, page + (nuint)(2 * size), Libc.PROT_READ, (long)page, $"the data pages of ring buffer '{mapName}'");
        }
        catch
        {
            _consumerMapping.Dispose();
            throw;
        }
        _consumerPosition = (ulong*)_consumerMapping.Address;
        _producerPosition = (ulong*)_producerMapping.Address;
        _data = (byte*)_producerMapping.Address + page;
        _size = size;
        _mask = size - 1;
    }

    /// <summary>A view over memory the caller laid out (unit tests): data must be 2*size bytes, mirrored.</summary>
    internal RingView(ulong* consumerPosition, ulong* producerPosition, byte* data, ulong size)
    {
        _consumerPosition = consumerPosition;
        _producerPosition = producerPosition;
        _data = data;
        _size = size;
        _mask = size - 1;
    }

    /// <summary>Data capacity in bytes.</summary>
    public ulong Size => _size;

    /// <summary>The consumer position as last published.</summary>
    public ulong ConsumerPosition => Volatile.Read(ref *_consumerPosition);

    /// <summary>The producer position (acquire: record headers below it are visible).</summary>
    public ulong ProducerPosition => Volatile.Read(ref *_producerPosition);

    /// <summary>Bytes the producer has reserved beyond the consumer.</summary>
    public ulong PendingBytes => ProducerPosition - ConsumerPosition;

    /// <summary>
    /// Reads the record at <paramref name="position"/> and, unless it is busy or the ring is empty there,
    /// moves <paramref name="position"/> past it. <paramref name="record"/> points into the mapping and is
    /// valid until the consumer position is published past it.
    /// </summary>
    public RingRecordStatus TryRead(scoped ref ulong position, out ReadOnlySpan<byte> record)
    {
        record = default;
        if (position == ProducerPosition)
            return RingRecordStatus.Empty;
        var header = (uint*)(_data + (position & _mask));
        // Acquire: the kernel clears BUSY with a release store after writing the record.
        var lengthAndFlags = Volatile.Read(ref *header);
        if ((lengthAndFlags & BusyBit) != 0)
            return RingRecordStatus.Busy;
        var length = lengthAndFlags & ~(BusyBit | DiscardBit);
        if (length > _size - HeaderSize)
            throw new InvalidDataException($"A ring buffer record header at position {position} claims {length} bytes in a {_size}-byte ring.");
        position += (length + HeaderSize + 7) & ~7UL;
        if ((lengthAndFlags & DiscardBit) != 0)
            return RingRecordStatus.Discarded;
        record = new ReadOnlySpan<byte>((byte*)header + HeaderSize, (int)length);
        return RingRecordStatus.Record;
    }

    /// <summary>Publishes the consumer position (release), giving the space before it back to producers.</summary>
    public void Commit(ulong position) => Volatile.Write(ref *_consumerPosition, position);

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _producerMapping?.Dispose();
        _consumerMapping?.Dispose();
    }
}

/// <summary>What <see cref="RingView.TryRead"/> found.</summary>
internal enum RingRecordStatus
{
    /// <summary>The consumer has caught up with the producer.</summary>
    Empty,
    /// <summary>The next record is reserved but not yet committed: stop and retry later.</summary>
    Busy,
    /// <summary>A committed record.</summary>
    Record,
    /// <summary>A record the producer discarded; skipped.</summary>
    Discarded,
}
