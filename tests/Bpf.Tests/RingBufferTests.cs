using System.Buffers.Binary;
using System.Runtime.InteropServices;
using OsqueryBpf.Bpf.Links;
using OsqueryBpf.Bpf.Maps;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Programs;
using OsqueryBpf.Bpf.RingBuffers;
using OsqueryBpf.Bpf.Tests.Infrastructure;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Bpf.Tests;

/// <summary>
/// Ring buffer reading against records the kernel produces: a socket filter run with BPF_PROG_TEST_RUN
/// reserves 16-byte records (24 bytes with the header, which does not divide the ring size, so records
/// straddle the end of the ring), each holding a sequence number twice.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed partial class RingBufferTests : IDisposable
{
    private const uint RingSize = 4096;
    private const int RecordSize = 16;
    private readonly BpfMap _ring;
    private readonly BpfMap _lost;
    private readonly BpfMap _sequence;
    private readonly FdCounter _before;

    public RingBufferTests()
    {
        Requirements.RequireRoot();
        _before = FdCounter.Now();
        _ring = BpfMap.Create(new MapSpec { Name = "events", Type = MapType.RingBuf, MaxEntries = RingSize });
        _lost = BpfMap.Create(new MapSpec { Name = "events_lost", Type = MapType.PerCpuArray, KeySize = 4, ValueSize = 8, MaxEntries = 1 });
        _sequence = BpfMap.Create(new MapSpec { Name = "sequence", Type = MapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1 });
    }

    public void Dispose()
    {
        _ring.Dispose();
        _lost.Dispose();
        _sequence.Dispose();
        Assert.Equal(_before, FdCounter.Now());
    }

    /// <summary>seq = sequence++; reserve 16 bytes (or count a loss); write seq twice; discard odd seqs when asked, else submit.</summary>
    private BpfProgram LoadProducer(bool discardOdd)
    {
        var b = new ProgramBuilder()
            .LookupIndexZero(_sequence)
            .JumpIfZero(0, "out")
            .Add(Asm.Mov64Imm(7, 1), Asm.AtomicFetchAdd64(0, 0, 7))
            .Add(Asm.LoadMapFd(1, _ring))
            .Add(Asm.Mov64Imm(2, RecordSize), Asm.Mov64Imm(3, 0), Asm.Call(Asm.RingbufReserve))
            .JumpIfNotZero(0, "reserved")
            .LookupIndexZero(_lost)
            .JumpIfZero(0, "out")
            .Add(Asm.Mov64Imm(1, 1), Asm.AtomicAdd64(0, 0, 1))
            .Goto("out")
            .Label("reserved")
            .Add(Asm.StoreReg64(0, 0, 7), Asm.StoreReg64(0, 8, 7))
            .Add(Asm.Mov64Reg(1, 0), Asm.Mov64Imm(2, 0), Asm.Mov64Reg(8, 7), Asm.And64Imm(8, 1));
        if (discardOdd)
            b.JumpIfNotZero(8, "discard");
        b.Add(Asm.Call(Asm.RingbufSubmit)).Goto("out");
        if (discardOdd)
            b.Label("discard").Add(Asm.Call(Asm.RingbufDiscard));
        b.Label("out")
            .Add(Asm.Mov64Imm(0, 0), Asm.Exit());
        return BpfProgram.Load(Asm.Program(discardOdd ? "produce_discard" : "produce", ProgramType.SocketFilter, b.Build()));
    }

    private static void Produce(BpfProgram producer, uint count) => producer.TestRun(data: new byte[64], repeat: count);

    private static ulong CheckedSequence(ReadOnlySpan<byte> record)
    {
        Assert.Equal(RecordSize, record.Length);
        var first = BinaryPrimitives.ReadUInt64LittleEndian(record);
        Assert.Equal(first, BinaryPrimitives.ReadUInt64LittleEndian(record[8..]));
        return first;
    }

    [SkippableFact]
    public void RecordsArriveInOrderAcrossManyWrapArounds()
    {
        using var producer = LoadProducer(discardOdd: false);
        using var reader = new RingBufferReader(_ring, _lost);
        var seen = new List<ulong>();
        const uint Total = 20_000;
        for (var produced = 0u; produced < Total; produced += 100)
        {
            Produce(producer, 100); // 2,400 bytes: more than half the ring each time
            reader.Drain(record => seen.Add(CheckedSequence(record)));
        }

        Assert.Equal(0UL, reader.Lost); // drained after every batch, so nothing was dropped
        Assert.Equal((int)Total, seen.Count);
        Assert.Equal(Enumerable.Range(0, (int)Total).Select(i => (ulong)i), seen);
        Assert.True(seen.Count * (RecordSize + 8) > 10 * RingSize, "The test should wrap the ring many times.");
        Assert.Equal(Total, (uint)reader.Received);
    }

    [SkippableFact]
    public void DiscardedRecordsAreSkippedAndCounted()
    {
        using var producer = LoadProducer(discardOdd: true);
        using var reader = new RingBufferReader(_ring, _lost);
        var seen = new List<ulong>();
        for (var i = 0; i < 20; i++)
        {
            Produce(producer, 50);
            reader.Drain(record => seen.Add(CheckedSequence(record)));
        }
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (ulong)(2 * i)), seen);
        Assert.Equal(500, reader.Discarded);
        Assert.Equal(0UL, reader.Lost);
    }

    [SkippableFact]
    public void RecordsThatDoNotFitAreCountedAsLostWhileTheConsumerIsPaused()
    {
        using var producer = LoadProducer(discardOdd: false);
        using var reader = new RingBufferReader(_ring, _lost);
        const uint Produced = 1000; // 24,000 bytes into a 4,096-byte ring nobody reads

        Produce(producer, Produced);
        var seen = new List<ulong>();
        reader.Drain(record => seen.Add(CheckedSequence(record)));

        Assert.InRange(seen.Count, 1, (int)(RingSize / (RecordSize + 8)));
        Assert.Equal(Produced, (ulong)seen.Count + reader.Lost);
        Assert.Equal(Enumerable.Range(0, seen.Count).Select(i => (ulong)i), seen); // the first ones fit, in order

        // Space is back: the next batch fits again.
        Produce(producer, 10);
        Assert.Equal(10, reader.Drain(record => CheckedSequence(record)));
    }

    [SkippableFact]
    public void LeasesReadInPlaceAndReleaseSpaceOnDispose()
    {
        using var producer = LoadProducer(discardOdd: false);
        using var reader = new RingBufferReader(_ring, _lost);
        Produce(producer, 3);

        Assert.True(reader.TryRead(out var first));
        Assert.Equal(0UL, CheckedSequence(first.Data));
        Assert.Throws<InvalidOperationException>(() => reader.TryRead(out _)); // one lease at a time
        var pendingBefore = reader.PendingBytes;
        first.Dispose();
        Assert.Equal(pendingBefore - (RecordSize + 8), reader.PendingBytes);

        for (ulong expected = 1; expected <= 2; expected++)
        {
            Assert.True(reader.TryRead(out var lease));
            using (lease)
                Assert.Equal(expected, CheckedSequence(lease.Data));
        }
        Assert.False(reader.TryRead(out _));
        Assert.Equal(0UL, reader.PendingBytes);
    }

    [SkippableFact]
    public void ReaderThreadReceivesWhileTheKernelProducesAndStopsOnDispose()
    {
        using var producer = LoadProducer(discardOdd: false);
        var reader = new RingBufferReader(_ring, _lost);
        var count = 0L;
        ulong last = ulong.MaxValue;
        var ordered = true;
        var thread = reader.Start(record =>
        {
            var seq = CheckedSequence(record);
            ordered &= last == ulong.MaxValue || seq > last;
            last = seq;
            Interlocked.Increment(ref count);
        });
        Assert.True(thread.IsBackground);

        const uint Total = 20_000;
        for (var i = 0; i < Total / 50; i++)
            Produce(producer, 50);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((ulong)Interlocked.Read(ref count) + reader.Lost < Total && DateTime.UtcNow < deadline)
            Thread.Sleep(10);

        Assert.Equal(Total, (ulong)Interlocked.Read(ref count) + reader.Lost); // every record read or counted
        Assert.True(ordered);
        reader.Dispose(); // wakes the blocked thread through the eventfd
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
        Assert.True(reader.Completion.IsCompletedSuccessfully);
    }

    [SkippableFact]
    public void HandlerExceptionStopsTheThreadAndFaultsCompletion()
    {
        using var producer = LoadProducer(discardOdd: false);
        using var reader = new RingBufferReader(_ring, _lost);
        reader.Start(_ => throw new InvalidDataException("bad record"));
        Produce(producer, 1);
        var e = Assert.Throws<AggregateException>(() => reader.Completion.Wait(TimeSpan.FromSeconds(30)));
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [SkippableFact]
    public void WaitTimesOutOnAnEmptyRingAndReturnsFalseAfterDispose()
    {
        var reader = new RingBufferReader(_ring, _lost);
        Assert.False(reader.Wait(50));
        var waiter = Task.Run(() => reader.Wait());
        Thread.Sleep(50);
        reader.Dispose();
        Assert.True(waiter.Wait(TimeSpan.FromSeconds(10)));
        Assert.False(waiter.Result);
    }

    [SkippableFact]
    public void ReaderMappingsAreVisibleToTheKernelAndGoneAfterDispose()
    {
        var before = FdCounter.Now();
        var reader = new RingBufferReader(_ring, _lost);
        var open = FdCounter.Now();
        Assert.Equal(before.KernelBpfMappings + 2, open.KernelBpfMappings); // consumer page; producer page + data
        Assert.Equal(before.LiveMappings + 2, open.LiveMappings);
        Assert.Equal(before.LiveHandles + 2, open.LiveHandles); // epoll + eventfd
        reader.Dispose();
        reader.Dispose(); // idempotent
        Assert.Equal(before, FdCounter.Now());
    }

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);

    [SkippableFact]
    public void TracepointEventsFromThisProcessFlowThroughTheRing()
    {
        // tracepoint/syscalls/sys_enter_getpriority: 8 bytes of common fields, int __syscall_nr, then
        // the arguments as u64s at offset 16 (which) and 24 (who). The program emits {tgid, who}.
        var b = new ProgramBuilder()
            .Add(Asm.LoadReg64(7, 1, 24))
            .Add(Asm.Call(Asm.GetCurrentPidTgid), Asm.Rsh64Imm(0, 32))
            .Add(Asm.StoreReg64(10, -16, 0), Asm.StoreReg64(10, -8, 7))
            .Add(Asm.LoadMapFd(1, _ring))
            .Add(Asm.Mov64Reg(2, 10), Asm.Add64Imm(2, -16), Asm.Mov64Imm(3, 16), Asm.Mov64Imm(4, 0), Asm.Call(Asm.RingbufOutput))
            .Add(Asm.Mov64Imm(0, 0), Asm.Exit());
        using var program = BpfProgram.Load(Asm.Program("getprio", ProgramType.TracePoint, b.Build()));
        using var reader = new RingBufferReader(_ring, _lost);
        using var link = TracepointLink.Attach(program, "syscalls", "sys_enter_getpriority");

        // 'who' values above PID_MAX_LIMIT (2^22) name no process, so the calls fail harmlessly with ESRCH.
        var unique = (1 << 23) + Random.Shared.Next(1 << 20);
        GetPriority(0, unique);
        GetPriority(0, unique + 1);

        var matches = new List<(ulong Tgid, ulong Who)>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (matches.Count < 2 && DateTime.UtcNow < deadline)
        {
            reader.Wait(100);
            reader.Drain(record =>
            {
                var who = BinaryPrimitives.ReadUInt64LittleEndian(record[8..]);
                if (who == (ulong)unique || who == (ulong)unique + 1)
                    matches.Add((BinaryPrimitives.ReadUInt64LittleEndian(record), who));
            });
        }
        Assert.Equal([((ulong)Environment.ProcessId, (ulong)unique), ((ulong)Environment.ProcessId, (ulong)unique + 1)], matches);
    }
}
