using System.Net;
using System.Net.Sockets;
using System.Text;
using OsqueryBpf.Bpf.Links;
using OsqueryBpf.Bpf.Maps;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Programs;
using OsqueryBpf.Bpf.Tests.Infrastructure;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Bpf.Tests;

/// <summary>Each attach kind, loaded, attached and seen firing on a real event this test causes.</summary>
[Collection(KernelCollection.Name)]
public sealed class LinkTests
{
    private const int GetPidCalls = 25;

    private static BpfMap Counter() =>
        BpfMap.Create(new MapSpec { Name = "hits", Type = MapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1 });

    private static ulong Read(BpfMap counter) => counter.TryLookup(0u, out ulong hits) ? hits : 0;

    private static void CallGetPid(int times)
    {
        for (var i = 0; i < times; i++)
            ProcessInfo.GetPid();
    }

    /// <summary>Counts this thread's calls of the syscall whose number is in the u64 at ctx + <paramref name="idOffset"/>.</summary>
    private static IEnumerable<Instruction> CountOwnSyscall(BpfMap counter, short idOffset, int syscallNumber) =>
        new[]
        {
            Asm.Mov64Reg(6, 1),
        }
        .Concat(Asm.ExitUnlessTid(ProcessInfo.GetTid()))
        .Concat([Asm.LoadReg64(1, 6, idOffset), Asm.JumpIfEqualImm(1, syscallNumber, 2), Asm.Mov64Imm(0, 0), Asm.Exit()])
        .Concat(Asm.IncrementCounterAndExit(counter));

    private static int GetPidNumber => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture ==
        System.Runtime.InteropServices.Architecture.Arm64 ? 172 : 39;

    [SkippableFact]
    public void TracepointProgramFiresOnOwnGetpid()
    {
        Requirements.RequireRoot();
        using var counter = Counter();
        var body = Asm.ExitUnlessTid(ProcessInfo.GetTid()).Concat(Asm.IncrementCounterAndExit(counter));
        using var program = BpfProgram.Load(Asm.Program("on_getpid", ProgramType.TracePoint, body, section: "tracepoint/syscalls/sys_enter_getpid"));

        var before = FdCounter.Now();
        using (var link = TracepointLink.Attach(program, "syscalls/sys_enter_getpid"))
        {
            Assert.Equal("tracepoint/syscalls/sys_enter_getpid", link.Target);
            CallGetPid(GetPidCalls);
            Assert.Equal((ulong)GetPidCalls, Read(counter));
        }
        var afterDetach = Read(counter);
        CallGetPid(GetPidCalls);
        Assert.Equal(afterDetach, Read(counter)); // detached: no more hits
        Assert.Equal(before, FdCounter.Now());
    }

    [SkippableFact]
    public void RawTracepointProgramFiresOnOwnGetpid()
    {
        Requirements.RequireRoot();
        using var counter = Counter();
        // raw_tracepoint/sys_enter: ctx is u64 args[]: args[0] = struct pt_regs *, args[1] = syscall id.
        using var program = BpfProgram.Load(Asm.Program("raw_getpid", ProgramType.RawTracepoint, CountOwnSyscall(counter, 8, GetPidNumber)));

        var before = FdCounter.Now();
        using (RawTracepointLink.Attach(program, "sys_enter"))
        {
            CallGetPid(GetPidCalls);
            Assert.Equal((ulong)GetPidCalls, Read(counter));
        }
        CallGetPid(GetPidCalls);
        Assert.Equal((ulong)GetPidCalls, Read(counter));
        Assert.Equal(before, FdCounter.Now());
    }

    [SkippableFact]
    public void BtfTracepointProgramFiresOnOwnGetpid()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        using var counter = Counter();
        // tp_btf/sys_enter: ctx holds the typed arguments (struct pt_regs *regs, long id) as u64s.
        var spec = Asm.Program("btf_getpid", ProgramType.Tracing, CountOwnSyscall(counter, 8, GetPidNumber),
            AttachType.TraceRawTracepoint, attachTo: "sys_enter", section: "tp_btf/sys_enter");
        using var program = BpfProgram.Load(spec);

        using (var link = BtfTracepointLink.Attach(program))
        {
            Assert.Equal("tp_btf/sys_enter", link.Target);
            CallGetPid(GetPidCalls);
            Assert.Equal((ulong)GetPidCalls, Read(counter));
        }
        CallGetPid(GetPidCalls);
        Assert.Equal((ulong)GetPidCalls, Read(counter));
    }

    [SkippableFact]
    public void SocketFilterSeesLoopbackTrafficThisTestSends()
    {
        Requirements.RequireRoot();
        using var counter = Counter();
        // Count every packet and keep all of it (return 0xffff bytes) on the filter's socket.
        using var program = BpfProgram.Load(Asm.Program("keep_all", ProgramType.SocketFilter, Asm.IncrementCounterAndExit(counter, returnValue: 0xffff)));

        var before = FdCounter.Now();
        using (var link = SocketFilterLink.Attach(program, "lo"))
        {
            var marker = Encoding.ASCII.GetBytes("osquery-bpf-" + Guid.NewGuid().ToString("N"));
            using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            using var sender = new UdpClient();
            sender.Send(marker, marker.Length, (IPEndPoint)receiver.Client.LocalEndPoint!);

            var buffer = new byte[65536];
            var found = false;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!found && DateTime.UtcNow < deadline)
            {
                var length = link.TryReceive(buffer);
                if (length < 0)
                {
                    Thread.Sleep(10);
                    continue;
                }
                found = buffer.AsSpan(0, Math.Min(length, buffer.Length)).IndexOf(marker) >= 0;
            }
            Assert.True(found, "The packet socket never delivered the UDP datagram this test sent over loopback.");
            Assert.True(Read(counter) >= 1);
        }
        Assert.Equal(before, FdCounter.Now());
    }
}
