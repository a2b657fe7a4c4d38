using System.Text;
using OsqueryBpf.Bpf.Collections;
using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Maps;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Programs;
using OsqueryBpf.Bpf.SafeHandles;
using OsqueryBpf.Bpf.Tests.Infrastructure;
using Xunit;

namespace OsqueryBpf.Bpf.Tests;

/// <summary>Loader logic against a scripted bpf(2): log retries, errno mapping, cleanup. Needs no privileges.</summary>
[Collection(KernelCollection.Name)]
public sealed unsafe class FakeKernelTests
{
    private static ProgramSpec TinyProgram(ProgramType type = ProgramType.SocketFilter) =>
        Asm.Program("tiny", type, [Asm.Mov64Imm(0, 0), Asm.Exit()]);

    private static void WriteLog(ProgLoadAttr* attr, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var length = Math.Min(bytes.Length, (int)attr->log_size - 1);
        var log = new Span<byte>((void*)attr->log_buf, (int)attr->log_size);
        bytes.AsSpan(0, length).CopyTo(log);
        log[length] = 0;
    }

    [Fact]
    public void FirstLoadHasNoLogAndTheRetryGrowsTheLogWhileTheKernelSaysEnospc()
    {
        var logSizes = new List<uint>();
        var fake = new FakeBpfSyscalls((BpfCmd cmd, void* attr, uint size, out Errno errno) =>
        {
            var a = (ProgLoadAttr*)attr;
            logSizes.Add(a->log_size);
            Assert.Equal(a->log_size == 0 ? 0u : 1u, a->log_level);
            errno = a->log_size switch
            {
                0 => Errno.EACCES,
                < 1_000_000 => Errno.ENOSPC, // "the log did not fit"
                _ => Errno.EACCES,
            };
            if (a->log_size > 0)
                WriteLog(a, string.Join("\n", Enumerable.Range(0, 10).Select(i => $"line {i}")) + "\nR1 invalid mem access 'scalar'\nprocessed 2 insns\n");
            return -1;
        });

        var e = Assert.Throws<VerifierException>(() => ProgramLoader.Load(fake, TinyProgram(), new ProgramLoadOptions()));

        Assert.Equal([0u, 64 * 1024, 256 * 1024, 1024 * 1024], logSizes);
        Assert.Equal(Errno.EACCES, e.Errno);
        Assert.Contains("R1 invalid mem access 'scalar'", e.Message);
        Assert.Contains("9 earlier log lines omitted", e.Message);
        Assert.Equal(["line 9", "R1 invalid mem access 'scalar'", "processed 2 insns"], e.Tail(3));
        Assert.Contains("line 0", e.ToString()); // the full log is in ToString
    }

    [Fact]
    public void LogGrowthStopsAtTheMaximumAndReportsTheOriginalError()
    {
        var calls = 0;
        var fake = new FakeBpfSyscalls((BpfCmd cmd, void* attr, uint size, out Errno errno) =>
        {
            calls++;
            var a = (ProgLoadAttr*)attr;
            errno = a->log_size == 0 ? Errno.EINVAL : Errno.ENOSPC;
            if (a->log_size > 0)
                WriteLog(a, "a very long log");
            return -1;
        });
        var options = new ProgramLoadOptions { InitialLogSize = 4096, MaximumLogSize = 64 * 1024 };
        var e = Assert.Throws<VerifierException>(() => ProgramLoader.Load(fake, TinyProgram(), options));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Equal(1 + 3, calls); // no log, then 4 KiB, 16 KiB, 64 KiB
    }

    [Fact]
    public void KernelTrueLogSizeIsUsedWhenLarger()
    {
        var logSizes = new List<uint>();
        var fake = new FakeBpfSyscalls((BpfCmd cmd, void* attr, uint size, out Errno errno) =>
        {
            var a = (ProgLoadAttr*)attr;
            logSizes.Add(a->log_size);
            a->log_true_size = 5_000_000;
            errno = a->log_size is 0 or >= 5_000_000 ? Errno.EACCES : Errno.ENOSPC;
            return -1;
        });
        Assert.Throws<VerifierException>(() => ProgramLoader.Load(fake, TinyProgram(), new ProgramLoadOptions()));
        Assert.Equal([0u, 64 * 1024, 5_000_000], logSizes);
    }

    [Fact]
    public void SuccessfulRetryReturnsTheProgram()
    {
        var fake = new FakeBpfSyscalls((BpfCmd cmd, void* attr, uint size, out Errno errno) =>
        {
            var a = (ProgLoadAttr*)attr;
            errno = a->log_size == 0 ? Errno.EAGAIN : Errno.None;
            return a->log_size == 0 ? -1 : FakeBpfSyscalls.NewFd();
        });
        using var program = ProgramLoader.Load(fake, TinyProgram(), new ProgramLoadOptions());
        Assert.False(program.Handle.IsInvalid);
    }

    [Fact]
    public void EpermWithoutLogSaysWhichPrivilegesAreNeeded()
    {
        var fake = new FakeBpfSyscalls((BpfCmd cmd, void* attr, uint size, out Errno errno) =>
        {
            errno = Errno.EPERM;
            return -1;
        });
        var e = Assert.Throws<VerifierException>(() => ProgramLoader.Load(fake, TinyProgram(), new ProgramLoadOptions()));
        Assert.Contains("Operation not permitted (EPERM)", e.Message);
        Assert.Contains(ErrorHints.PrivilegeHint(), e.Message);
    }

    [Fact]
    public void EinvalForAProgramTypeNewerThanTheKernelIsAFeatureError()
    {
        var fake = new FakeBpfSyscalls((BpfCmd cmd, void* attr, uint size, out Errno errno) =>
        {
            errno = Errno.EINVAL;
            return -1;
        });
        var oldKernel = new ProgramLoadOptions { KernelVersionOverride = new Version(5, 4) };
        var spec = Asm.Program("tiny", ProgramType.Tracing, [Asm.Mov64Imm(0, 0), Asm.Exit()], AttachType.TraceFentry);

        var e = Assert.Throws<KernelFeatureNotSupportedException>(() => ProgramLoader.Load(fake, spec, oldKernel));

        Assert.Equal("5.5", e.MinimumKernel);
        Assert.Contains("tracing", e.Feature);
        Assert.Contains("5.5 or later", e.Message);
        // The same EINVAL on a kernel that has the type is a verifier error, not a missing feature.
        Assert.Throws<VerifierException>(() => ProgramLoader.Load(fake, spec, new ProgramLoadOptions { KernelVersionOverride = new Version(6, 18) }));
    }

    [Fact]
    public void MapCommandFailuresNameTheCommandTheMapAndTheErrno()
    {
        var fake = new FakeBpfSyscalls((BpfCmd cmd, void* attr, uint size, out Errno errno) =>
        {
            errno = cmd == BpfCmd.BPF_MAP_CREATE ? Errno.None : Errno.EFAULT;
            return cmd == BpfCmd.BPF_MAP_CREATE ? FakeBpfSyscalls.NewFd() : -1;
        });
        using var map = BpfMap.Create(fake, new MapSpec { Name = "faulty", Type = MapType.Hash, KeySize = 4, ValueSize = 4, MaxEntries = 1 }, null);
        var e = Assert.Throws<BpfSyscallException>(() => map.Update(1u, 2u));
        Assert.Equal(BpfCmd.BPF_MAP_UPDATE_ELEM, e.Command);
        Assert.Equal(Errno.EFAULT, e.Errno);
        Assert.Equal("bpf", e.Syscall);
        Assert.Equal("BPF_MAP_UPDATE_ELEM failed for map 'faulty': Bad address (EFAULT).", e.Message);
    }

    [Fact]
    public void ACollectionWhoseMapsFailLoadsNothingThatNeedsThemAndLeaksNothing()
    {
        var spec = TestObjects.Spec("loader_test");
        var live = SafeFdHandle.LiveCount;
        // BTF loads, the first two maps are created, every later map creation fails: programs using the
        // missing maps fail with that reason, and everything created is released on Dispose.
        var mapsCreated = 0;
        var fake = new FakeBpfSyscalls((BpfCmd cmd, void* attr, uint size, out Errno errno) =>
        {
            errno = Errno.None;
            switch (cmd)
            {
                case BpfCmd.BPF_BTF_LOAD:
                    return FakeBpfSyscalls.NewFd();
                case BpfCmd.BPF_MAP_CREATE when mapsCreated < 2:
                    mapsCreated++;
                    return FakeBpfSyscalls.NewFd();
                case BpfCmd.BPF_MAP_CREATE:
                    errno = Errno.ENOMEM;
                    return -1;
                default:
                    return FakeBpfSyscalls.NewFd(); // updates, freezes, program loads
            }
        });
        var collection = CollectionLoader.Load(fake, spec, new CollectionLoadOptions { Attach = false, KernelBtf = spec.Btf });
        Assert.Equal(2, collection.Maps.Count);
        Assert.NotEmpty(collection.MapErrors);
        Assert.All(collection.MapErrors.Values, e => Assert.Equal(Errno.ENOMEM, Assert.IsType<BpfSyscallException>(e).Errno));
        var failed = collection.Programs.Values.Where(p => p.Status == ProgramLoadStatus.Failed).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, p => Assert.Contains("was not created", p.Error!.Message));
        Assert.True(SafeFdHandle.LiveCount > live);
        collection.Dispose();
        Assert.Equal(live, SafeFdHandle.LiveCount);
    }
}
