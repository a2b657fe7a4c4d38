using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Maps;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Tests.Infrastructure;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Bpf.Tests;

[Collection(KernelCollection.Name)]
public sealed class MapTests
{
    private static MapSpec Spec(MapType type, uint key, uint value, uint max, string name = "test_map", uint flags = 0) =>
        new() { Name = name, Type = type, KeySize = key, ValueSize = value, MaxEntries = max, Flags = flags };

    [SkippableFact]
    public void HashMapStoresLooksUpIteratesAndDeletes()
    {
        Requirements.RequireRoot();
        using var map = BpfMap.Create(Spec(MapType.Hash, 4, 8, 16));
        for (uint k = 1; k <= 5; k++)
            map.Update(k, (ulong)k * 1000);

        Assert.True(map.TryLookup(3u, out ulong three));
        Assert.Equal(3000UL, three);
        Assert.False(map.TryLookup(42u, out ulong _));
        Assert.Equal(new uint[] { 1, 2, 3, 4, 5 }, map.Keys<uint>().Order().ToArray());

        Assert.True(map.Delete(3u));
        Assert.False(map.Delete(3u));
        Assert.Equal(new uint[] { 1, 2, 4, 5 }, map.Keys<uint>().Order().ToArray());
    }

    [SkippableFact]
    public void UpdateFlagsAreHonouredAndFailuresNameTheCommandAndErrno()
    {
        Requirements.RequireRoot();
        using var map = BpfMap.Create(Spec(MapType.Hash, 4, 4, 4, "flags_map"));
        map.Update(1u, 10u, MapUpdateFlags.NoExist);

        var exists = Assert.Throws<BpfSyscallException>(() => map.Update(1u, 11u, MapUpdateFlags.NoExist));
        Assert.Equal(BpfCmd.BPF_MAP_UPDATE_ELEM, exists.Command);
        Assert.Equal(Errno.EEXIST, exists.Errno);
        Assert.Contains("'flags_map'", exists.Message);
        Assert.Contains("(EEXIST)", exists.Message);

        var missing = Assert.Throws<BpfSyscallException>(() => map.Update(2u, 20u, MapUpdateFlags.Exist));
        Assert.Equal(Errno.ENOENT, missing.Errno);

        Assert.True(map.TryLookup(1u, out uint value));
        Assert.Equal(10u, value);
    }

    [SkippableFact]
    public void ArrayMapHasEveryIndexAndRefusesDeletion()
    {
        Requirements.RequireRoot();
        using var map = BpfMap.Create(Spec(MapType.Array, 4, 8, 3));
        Assert.Equal(new uint[] { 0, 1, 2 }, map.Keys<uint>().ToArray());
        map.Update(2u, 0xC0FFEEUL);
        Assert.True(map.TryLookup(2u, out ulong v));
        Assert.Equal(0xC0FFEEUL, v);
        Assert.False(map.TryLookup(3u, out ulong _)); // past the end: ENOENT
        var e = Assert.Throws<BpfSyscallException>(() => map.Delete(0u));
        Assert.Equal(Errno.EINVAL, e.Errno);
    }

    [SkippableFact]
    public void PerCpuArrayHasOneValuePerPossibleCpu()
    {
        Requirements.RequireRoot();
        using var map = BpfMap.Create(Spec(MapType.PerCpuArray, 4, 4, 1));
        Assert.Equal(PossibleCpus.Count * 8, map.ValueBufferSize); // 4-byte values sit in 8-byte slots
        var values = Enumerable.Range(0, PossibleCpus.Count).Select(cpu => (uint)(cpu + 7)).ToArray();
        map.UpdatePerCpu(0u, values.AsSpan());
        Assert.Equal(values, map.LookupPerCpu<uint, uint>(0u));

        // A buffer sized for one CPU would be overrun by the kernel: refused before the syscall.
        Assert.Throws<ArgumentException>(() => map.TryLookup(new byte[4], new byte[4]));
    }

    [SkippableFact]
    public void LruHashEvictsInsteadOfFailingWhenFull()
    {
        Requirements.RequireRoot();
        using var map = BpfMap.Create(Spec(MapType.LruHash, 4, 4, 64));
        for (uint k = 0; k < 1000; k++)
            map.Update(k, k);
        var count = map.Keys<uint>().Count();
        Assert.InRange(count, 1, 64 + PossibleCpus.Count * 64); // the LRU may keep per-CPU free lists, never 1000
        Assert.True(map.TryLookup(999u, out uint last));
        Assert.Equal(999u, last);
    }

    [SkippableFact]
    public void FrozenMapRefusesUserSpaceWrites()
    {
        Requirements.RequireRoot();
        using var map = BpfMap.Create(Spec(MapType.Array, 4, 8, 1, "frozen"));
        map.Update(0u, 5UL);
        map.Freeze();
        var e = Assert.Throws<BpfSyscallException>(() => map.Update(0u, 6UL));
        Assert.Equal(Errno.EPERM, e.Errno);
        Assert.Contains("frozen", e.Message);
        Assert.True(map.TryLookup(0u, out ulong v));
        Assert.Equal(5UL, v);
    }

    [SkippableFact]
    public void RingBufferAndPerfEventArrayMapsCanBeCreated()
    {
        Requirements.RequireRoot();
        using var ring = BpfMap.Create(Spec(MapType.RingBuf, 0, 0, 4096 * 4, "ring"));
        using var perf = BpfMap.Create(Spec(MapType.PerfEventArray, 4, 4, (uint)PossibleCpus.Count, "perf"));
        Assert.False(ring.Handle.IsInvalid);
        Assert.False(perf.Handle.IsInvalid);
    }

    [SkippableFact]
    public void InvalidMapIsRefusedWithTheMapName()
    {
        Requirements.RequireRoot();
        // A ring buffer size must be a power-of-two multiple of the page size.
        var e = Assert.Throws<BpfSyscallException>(() => BpfMap.Create(Spec(MapType.RingBuf, 0, 0, 1000, "odd_ring")));
        Assert.Equal(BpfCmd.BPF_MAP_CREATE, e.Command);
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("'odd_ring'", e.Message);
    }

    [SkippableFact]
    public void WrongKeySizeIsRefusedBeforeTheSyscall()
    {
        Requirements.RequireRoot();
        using var map = BpfMap.Create(Spec(MapType.Hash, 4, 8, 4));
        var e = Assert.Throws<ArgumentException>(() => map.Update(1UL, 2UL));
        Assert.Contains("4-byte keys", e.Message);
    }

    [SkippableFact]
    public void DisposingMapsLeavesNoDescriptors()
    {
        Requirements.RequireRoot();
        var before = FdCounter.Now();
        for (var i = 0; i < 20; i++)
        {
            using var map = BpfMap.Create(Spec(MapType.Hash, 4, 4, 4));
            map.Update(1u, 1u);
        }
        Assert.Equal(before, FdCounter.Now());
    }
}
