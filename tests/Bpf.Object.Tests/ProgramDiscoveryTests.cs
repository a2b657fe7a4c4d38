using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

public class ProgramDiscoveryTests
{
    private static readonly CollectionSpec s_spec = CollectionSpec.Parse(TestObjects.MapsAndPrograms);

    [Theory]
    [InlineData("first_in_section", "tracepoint/syscalls/sys_enter_openat", ProgramType.TracePoint, AttachType.None, "syscalls/sys_enter_openat")]
    [InlineData("second_in_section", "tracepoint/syscalls/sys_enter_openat", ProgramType.TracePoint, AttachType.None, "syscalls/sys_enter_openat")]
    [InlineData("tp_short", "tp/sched/sched_process_exit", ProgramType.TracePoint, AttachType.None, "sched/sched_process_exit")]
    [InlineData("raw_long", "raw_tracepoint/sys_enter", ProgramType.RawTracepoint, AttachType.None, "sys_enter")]
    [InlineData("raw_short", "raw_tp/sys_exit", ProgramType.RawTracepoint, AttachType.None, "sys_exit")]
    [InlineData("btf_tp", "tp_btf/sched_process_exec", ProgramType.Tracing, AttachType.TraceRawTracepoint, "sched_process_exec")]
    [InlineData("with_callback", "raw_tp/sched_switch", ProgramType.RawTracepoint, AttachType.None, "sched_switch")]
    [InlineData("sock_filter", "socket", ProgramType.SocketFilter, AttachType.None, "")]
    public void FindsEveryProgramWithItsTypeAndTarget(string name, string section, ProgramType type, AttachType attach, string attachTo)
    {
        var program = s_spec.Programs[name];
        Assert.Equal(name, program.Name);
        Assert.Equal(section, program.SectionName);
        Assert.Equal(type, program.Type);
        Assert.Equal(attach, program.ExpectedAttachType);
        Assert.Equal(attachTo, program.AttachTo);
        Assert.Equal("Dual BSD/GPL", program.License);
        Assert.Equal(Instruction.ExitOpcode, program.Instructions.Last(i => i.Opcode == Instruction.ExitOpcode).Opcode);
    }

    [Fact]
    public void SubprogramsAreNotPrograms()
    {
        Assert.Equal(8, s_spec.Programs.Count);
        Assert.DoesNotContain("loop_step", s_spec.Programs.Keys);
        Assert.DoesNotContain("leaf", s_spec.Programs.Keys);
        Assert.DoesNotContain("middle", s_spec.Programs.Keys);
        Assert.DoesNotContain("global_helper", s_spec.Programs.Keys);
        Assert.Equal("Dual BSD/GPL", s_spec.License);
    }

    [Fact]
    public void UIntValuesMatchTheKernelUapi()
    {
        // Spot checks against include/uapi/linux/bpf.h.
        Assert.Equal(5u, (uint)ProgramType.TracePoint);
        Assert.Equal(17u, (uint)ProgramType.RawTracepoint);
        Assert.Equal(26u, (uint)ProgramType.Tracing);
        Assert.Equal(1u, (uint)ProgramType.SocketFilter);
        Assert.Equal(23u, (uint)AttachType.TraceRawTracepoint);
        Assert.Equal(27u, (uint)MapType.RingBuf);
        Assert.Equal(9u, (uint)MapType.LruHash);
    }

    [Theory]
    [InlineData("tracepoint/syscalls/sys_enter_openat", true)]
    [InlineData("tracepoint/noslash", false)]
    [InlineData("tp_btf/", false)]
    [InlineData("raw_tp.w/sys_enter", true)]
    [InlineData("xdp", true)]
    [InlineData("madeup/thing", false)]
    public void ParsesSectionNames(string section, bool valid) =>
        Assert.Equal(valid, SectionNames.TryParse(section, out _, out _, out _));

    [Fact]
    public void UnknownProgramSectionIsAClearError()
    {
        var elf = TestObjects.MapsAndPrograms;
        // Rename the "socket" section (in .strtab) to "sockex", an unknown program section.
        ReplaceAll(elf, "\0socket\0"u8, "\0sockex\0"u8);
        var error = Assert.Throws<BpfObjectException>(() => CollectionSpec.Parse(elf));
        Assert.Contains("'sockex'", error.Message);
    }

    internal static void ReplaceAll(byte[] data, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to)
    {
        var found = 0;
        for (var at = data.AsSpan().IndexOf(from); at >= 0; at = data.AsSpan().IndexOf(from))
        {
            to.CopyTo(data.AsSpan(at));
            found++;
        }
        Assert.True(found > 0, "pattern not found in the object");
    }
}
