using System.Buffers.Binary;
using System.Runtime.InteropServices;
using OsqueryBpf.Bpf.RingBuffers;
using Xunit;

namespace OsqueryBpf.Bpf.Tests;

/// <summary>
/// The ring arithmetic over memory laid out like the kernel's (consumer, producer, data mapped twice),
/// with records written the way kernel/bpf/ringbuf.c writes them. No kernel needed.
/// </summary>
public sealed unsafe class RingViewTests : IDisposable
{
    private const ulong Size = 64;
    private readonly ulong* _consumer;
    private readonly ulong* _producer;
    private readonly byte* _data;
    private readonly RingView _view;

    public RingViewTests()
    {
        _consumer = (ulong*)NativeMemory.AllocZeroed(8);
        _producer = (ulong*)NativeMemory.AllocZeroed(8);
        _data = (byte*)NativeMemory.AllocZeroed((nuint)(2 * Size));
        _view = new RingView(_consumer, _producer, _data, Size);
    }

    public void Dispose()
    {
        NativeMemory.Free(_consumer);
        NativeMemory.Free(_producer);
        NativeMemory.Free(_data);
    }

    /// <summary>Writes a record at the producer position (both copies of the double mapping) and advances it.</summary>
    private void Produce(ReadOnlySpan<byte> payload, uint flags = 0)
    {
        var position = *_producer;
        Span<byte> record = stackalloc byte[RingView.HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)payload.Length | flags);
        payload.CopyTo(record[RingView.HeaderSize..]);
        for (var i = 0; i < record.Length; i++)
        {
            var offset = (position + (ulong)i) % Size;
            _data[offset] = record[i];
            _data[offset + Size] = record[i];
        }
        *_producer = position + (((ulong)record.Length + 7) & ~7UL);
    }

    private static byte[] Payload(int length, byte fill) => Enumerable.Repeat(fill, length).ToArray();

    [Fact]
    public void EmptyRingHasNothing()
    {
        ulong position = 0;
        Assert.Equal(RingRecordStatus.Empty, _view.TryRead(ref position, out _));
        Assert.Equal(0UL, _view.PendingBytes);
    }

    [Fact]
    public void RecordsAdvanceByHeaderPlusLengthRoundedToEightBytes()
    {
        Produce(Payload(5, 1));
        Produce(Payload(8, 2));
        ulong position = 0;
        Assert.Equal(RingRecordStatus.Record, _view.TryRead(ref position, out var first));
        Assert.Equal(Payload(5, 1), first.ToArray());
        Assert.Equal(16UL, position); // 8 + 5 rounded up
        Assert.Equal(RingRecordStatus.Record, _view.TryRead(ref position, out var second));
        Assert.Equal(Payload(8, 2), second.ToArray());
        Assert.Equal(32UL, position);
        Assert.Equal(RingRecordStatus.Empty, _view.TryRead(ref position, out _));
    }

    [Fact]
    public void BusyRecordStopsTheReaderWithoutMovingIt()
    {
        Produce(Payload(4, 9), RingView.BusyBit);
        ulong position = 0;
        Assert.Equal(RingRecordStatus.Busy, _view.TryRead(ref position, out _));
        Assert.Equal(0UL, position);
    }

    [Fact]
    public void DiscardedRecordIsSkipped()
    {
        Produce(Payload(4, 9), RingView.DiscardBit);
        Produce(Payload(4, 7));
        ulong position = 0;
        Assert.Equal(RingRecordStatus.Discarded, _view.TryRead(ref position, out _));
        Assert.Equal(16UL, position);
        Assert.Equal(RingRecordStatus.Record, _view.TryRead(ref position, out var kept));
        Assert.Equal(Payload(4, 7), kept.ToArray());
    }

    [Fact]
    public void RecordThatWrapsPastTheEndIsContiguous()
    {
        // Move both positions to 48 so the next 24-byte record (8 + 16) runs from offset 48 to 72 = 8 past the end.
        *_producer = 48;
        *_consumer = 48;
        var payload = Enumerable.Range(0, 16).Select(i => (byte)(i + 1)).ToArray();
        Produce(payload);
        ulong position = 48;
        Assert.Equal(RingRecordStatus.Record, _view.TryRead(ref position, out var record));
        Assert.Equal(payload, record.ToArray());
        Assert.Equal(72UL, position);
        _view.Commit(position);
        Assert.Equal(72UL, *_consumer);
        Assert.Equal(0UL, _view.PendingBytes);
    }

    [Fact]
    public void CorruptLengthIsReportedNotFollowed()
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 1000); // longer than the ring
        header.CopyTo(new Span<byte>(_data, 8));
        *_producer = 8;
        ulong position = 0;
        var threw = false;
        try
        {
            _view.TryRead(ref position, out _);
        }
        catch (InvalidDataException)
        {
            threw = true;
        }
        Assert.True(threw);
    }
}
