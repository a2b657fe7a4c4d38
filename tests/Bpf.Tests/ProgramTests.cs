using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Maps;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Programs;
using OsqueryBpf.Bpf.Tests.Infrastructure;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Bpf.Tests;

[Collection(KernelCollection.Name)]
public sealed class ProgramTests
{
    [SkippableFact]
    public void SocketFilterRunsAndReturnsItsValue()
    {
        Requirements.RequireRoot();
        using var counter = BpfMap.Create(new MapSpec { Name = "runs", Type = MapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1 });
        using var program = BpfProgram.Load(Asm.Program("count_runs", ProgramType.SocketFilter, Asm.IncrementCounterAndExit(counter, returnValue: 77)));

        var retval = program.TestRun(data: new byte[64], repeat: 5);

        Assert.Equal(77u, retval);
        Assert.True(counter.TryLookup(0u, out ulong runs));
        Assert.Equal(5UL, runs);
    }

    [SkippableFact]
    public void BrokenProgramIsRefusedWithItsVerifierLog()
    {
        Requirements.RequireRoot();
        // r0 = r2 reads a register that was never written: "R2 !read_ok".
        var spec = Asm.Program("reads_junk", ProgramType.SocketFilter, [Asm.Mov64Reg(0, 2), Asm.Exit()]);

        var e = Assert.Throws<VerifierException>(() => BpfProgram.Load(spec));

        Assert.Equal("reads_junk", e.ProgramName);
        Assert.Equal(Errno.EACCES, e.Errno);
        Assert.Contains("R2 !read_ok", e.VerifierLog);
        Assert.Contains("'reads_junk'", e.Message);
        Assert.Contains("R2 !read_ok", e.Message);
        Assert.Contains("R2 !read_ok", e.ToString());
        Assert.DoesNotContain("CAP_BPF", e.Message); // a verifier refusal is not a privilege problem
    }

    [SkippableFact]
    public void ProgramWithoutExitIsRefused()
    {
        Requirements.RequireRoot();
        var spec = Asm.Program("falls_off", ProgramType.SocketFilter, [Asm.Mov64Imm(0, 0)]);
        var e = Assert.Throws<VerifierException>(() => BpfProgram.Load(spec));
        Assert.NotEmpty(e.VerifierLog);
        Assert.NotEmpty(e.Tail(1));
    }

    [SkippableFact]
    public void LoadingAndDisposingProgramsLeavesNoDescriptors()
    {
        Requirements.RequireRoot();
        using var counter = BpfMap.Create(new MapSpec { Name = "runs", Type = MapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1 });
        var before = FdCounter.Now();
        for (var i = 0; i < 10; i++)
        {
            using var program = BpfProgram.Load(Asm.Program("count_runs", ProgramType.SocketFilter, Asm.IncrementCounterAndExit(counter)));
            Assert.Throws<VerifierException>(() => BpfProgram.Load(Asm.Program("bad", ProgramType.SocketFilter, [Asm.Exit()])));
        }
        Assert.Equal(before, FdCounter.Now());
    }
}
