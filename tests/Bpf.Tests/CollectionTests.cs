using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using OsqueryBpf.Bpf.Collections;
using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.RingBuffers;
using OsqueryBpf.Bpf.Tests.Infrastructure;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Bpf.Tests;

/// <summary>clang-compiled CO-RE objects loaded end to end: BTF, CO-RE, global data, maps, programs, links, ring buffer.</summary>
[Collection(KernelCollection.Name)]
public sealed partial class CollectionTests
{
    private readonly record struct Record(uint Kind, uint Tgid, uint ParentTgid, ulong Value);

    private static Record Decode(ReadOnlySpan<byte> data) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(data),
        BinaryPrimitives.ReadUInt32LittleEndian(data[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(data[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(data[16..]));

    [LibraryImport("libc", EntryPoint = "getpriority")]
    private static partial int GetPriority(int which, int who);

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentPid();

    /// <summary>Waits (generously) for records matching <paramref name="match"/>; returns those seen.</summary>
    private static List<Record> Collect(RingBufferReader reader, Func<Record, bool> match, int wanted)
    {
        var found = new List<Record>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (found.Count < wanted && DateTime.UtcNow < deadline)
        {
            reader.Wait(100);
            reader.Drain(data =>
            {
                var record = Decode(data);
                if (match(record))
                    found.Add(record);
            });
        }
        return found;
    }

    private static CollectionSpec LoaderTestSpec(ulong who, ulong multiplier = 1)
    {
        var spec = TestObjects.Spec("loader_test");
        spec.SetConstant("target_tgid", (uint)Environment.ProcessId);
        spec.SetConstant("target_who", who);
        spec.SetConstant("multiplier", multiplier);
        return spec;
    }

    private static int UniqueWho() => (1 << 23) + Random.Shared.Next(1 << 20); // above PID_MAX_LIMIT: ESRCH, harmless

    [SkippableFact]
    public void EveryProgramLoadsAndTheHookedOnesAttach()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        var before = FdCounter.Now();
        using (var collection = BpfCollection.Load(LoaderTestSpec((ulong)UniqueWho())))
        {
            collection.ThrowIfAnyFailed();
            Assert.Null(collection.BtfError);
            Assert.NotNull(collection.Btf);
            Assert.Equal(ProgramLoadStatus.Attached, collection.Programs["on_getpriority"].Status);
            Assert.Equal(ProgramLoadStatus.Attached, collection.Programs["on_sys_enter"].Status);
            Assert.Equal(ProgramLoadStatus.Attached, collection.Programs["on_exec"].Status);
            Assert.Equal(ProgramLoadStatus.Loaded, collection.Programs["count_packets"].Status); // SEC("socket") names no hook
            Assert.Contains(collection.Programs["on_exec"].CoreFixups, f => !f.Poisoned);
            Assert.True(collection.Map(".rodata").IsReadOnlyForPrograms);
            Assert.All(collection.Programs.Values, p => Assert.True(p.LoadTime > TimeSpan.Zero));
        }
        Assert.Equal(before, FdCounter.Now());
    }

    [SkippableFact]
    public void TracepointEventsCarryTheCoReReadParentAndTheRodataConfiguration()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        var who = UniqueWho();
        using var collection = BpfCollection.Load(LoaderTestSpec((ulong)who, multiplier: 3));
        collection.ThrowIfAnyFailed();
        using var reader = collection.OpenRingBuffer("events"); // finds "events_lost" by convention

        GetPriority(0, who + 1); // not the configured target: filtered out in the kernel
        GetPriority(0, who);
        GetPriority(0, who);

        var records = Collect(reader, r => r.Kind == 1, wanted: 2);
        Assert.Equal(2, records.Count);
        foreach (var record in records)
        {
            Assert.Equal((uint)Environment.ProcessId, record.Tgid);
            Assert.Equal((uint)ProcessInfo.ParentPid(), record.ParentTgid); // task->real_parent->tgid via CO-RE
            Assert.Equal((ulong)who * 3, record.Value); // .rodata multiplier and .data marker reached the program
        }
        // .bss is a map too: the program's counter is visible from user space.
        var bss = new byte[collection.Map(".bss").ValueSize];
        Assert.True(collection.Map(".bss").TryLookup(new byte[4], bss));
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64LittleEndian(bss));
        Assert.Equal(0UL, reader.Lost);
        collection.Map("events_lost").UpdatePerCpu(0u, Enumerable.Repeat(5UL, Maps.PossibleCpus.Count).ToArray().AsSpan());
        Assert.Equal(5UL * (ulong)Maps.PossibleCpus.Count, reader.Lost); // the reader sums the convention's counter
    }

    [SkippableFact]
    public void RodataConstantsChangeWhatIsEmitted()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        var who = UniqueWho();
        // Target another tgid: this process's calls must produce nothing.
        var spec = LoaderTestSpec((ulong)who);
        spec.SetConstant("target_tgid", (uint)GetParentPid());
        using var collection = BpfCollection.Load(spec, new CollectionLoadOptions { Programs = new HashSet<string> { "on_getpriority" } });
        collection.ThrowIfAnyFailed();
        Assert.Equal(ProgramLoadStatus.Skipped, collection.Programs["on_exec"].Status);
        using var reader = new RingBufferReader(collection.Map("events"), collection.Map("events_lost"));
        for (var i = 0; i < 10; i++)
            GetPriority(0, who);
        reader.Wait(200);
        Assert.Equal(0, reader.Drain(_ => { }));
    }

    [SkippableFact]
    public void RawTracepointSeesOwnGetppid()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        Skip.IfNot(RuntimeInformation.ProcessArchitecture == Architecture.X64, "The test object hard-codes the x86_64 getppid number.");
        using var collection = BpfCollection.Load(LoaderTestSpec(0), new CollectionLoadOptions { Programs = new HashSet<string> { "on_sys_enter" } });
        collection.ThrowIfAnyFailed();
        using var reader = new RingBufferReader(collection.Map("events"), collection.Map("events_lost"));
        GetParentPid();
        var records = Collect(reader, r => r.Kind == 2, wanted: 1);
        Assert.NotEmpty(records);
        Assert.Equal((uint)ProcessInfo.ParentPid(), records[0].ParentTgid);
    }

    [SkippableFact]
    public void BtfTracepointSeesExecOfAChildWithItsParent()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        using var collection = BpfCollection.Load(LoaderTestSpec(0), new CollectionLoadOptions { Programs = new HashSet<string> { "on_exec" } });
        collection.ThrowIfAnyFailed();
        using var reader = new RingBufferReader(collection.Map("events"), collection.Map("events_lost"));

        using var child = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        child.WaitForExit();

        var records = Collect(reader, r => r.Kind == 3 && r.Value == (ulong)child.Id, wanted: 1);
        Assert.Single(records);
        Assert.Equal((uint)Environment.ProcessId, records[0].ParentTgid);
    }

    [SkippableFact]
    public void SocketFilterReportsLoopbackPacketsThroughTheRing()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        // count_packets emits a record for packets of exactly target_who bytes: Ethernet (14) + IPv4 (20)
        // + UDP (8) + payload on loopback.
        var payload = new byte[300 + Random.Shared.Next(500)];
        var frameLength = 14 + 20 + 8 + payload.Length;
        using var collection = BpfCollection.Load(LoaderTestSpec((ulong)frameLength), new CollectionLoadOptions { Programs = new HashSet<string> { "count_packets" } });
        collection.ThrowIfAnyFailed();
        using var reader = new RingBufferReader(collection.Map("events"), collection.Map("events_lost"));
        using var link = Links.SocketFilterLink.Attach(collection.Program("count_packets"), "lo");

        using var receiver = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        using var sender = new System.Net.Sockets.UdpClient();
        sender.Send(payload, payload.Length, (System.Net.IPEndPoint)receiver.Client.LocalEndPoint!);

        var records = Collect(reader, r => r.Kind == 4, wanted: 1);
        Assert.NotEmpty(records);
        Assert.All(records, r => Assert.Equal((ulong)frameLength, r.Value));
        Assert.Equal(-1, link.TryReceive(new byte[16])); // the filter returns 0: nothing is queued on the socket
    }

    [SkippableFact]
    public void OneRefusedProgramDoesNotStopTheOthers()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        var before = FdCounter.Now();
        using (var collection = BpfCollection.Load(TestObjects.Spec("broken")))
        {
            var nullDeref = collection.Programs["null_deref"];
            Assert.Equal(ProgramLoadStatus.Failed, nullDeref.Status);
            var verifier = Assert.IsType<VerifierException>(nullDeref.Error);
            Assert.Equal("null_deref", verifier.ProgramName);
            Assert.Contains("invalid mem access", verifier.VerifierLog);
            Assert.Contains("null_deref", verifier.Message);

            var missing = Assert.IsType<VerifierException>(collection.Programs["reads_missing_type"].Error);
            Assert.Contains("CO-RE relocation could not be satisfied", missing.Message);
            Assert.Contains(collection.Programs["reads_missing_type"].CoreFixups, f => f.Poisoned);

            // The guarded read of the same missing field loads: the poisoned branch is dead.
            Assert.Equal(ProgramLoadStatus.Attached, collection.Programs["guards_missing_type"].Status);
            Assert.Equal(ProgramLoadStatus.Attached, collection.Programs["counts_fine"].Status);
            GetParentPid();
            Assert.True(collection.Map("counters").TryLookup(0u, out ulong count));
            Assert.True(count > 0);

            var e = Assert.Throws<InvalidOperationException>(() => collection.Program("null_deref"));
            Assert.Same(verifier, e.InnerException);
            Assert.Throws<AggregateException>(collection.ThrowIfAnyFailed);
        }
        Assert.Equal(before, FdCounter.Now());
    }

    [SkippableFact]
    public void LoadingLeavesTheCallersSpecUntouched()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        var spec = LoaderTestSpec(1);
        var instructions = spec.Programs["on_getpriority"].Instructions.ToArray();
        using (BpfCollection.Load(spec, new CollectionLoadOptions { Attach = false }))
        {
        }
        Assert.Equal(instructions, spec.Programs["on_getpriority"].Instructions);
    }
}
