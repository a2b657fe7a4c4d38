using System.Text.RegularExpressions;
using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

/// <summary>
/// Reading what a kernel offers from its BTF, against kernels written by hand after the facts of Debian's 5.10, 6.1
/// and 6.16 (which helpers they have, how many arguments sched_process_exit passes).
/// </summary>
public sealed class KernelBtfFeaturesTests
{
    /// <summary>A kernel BTF with enum bpf_func_id, bpf_prog_type and bpf_map_type, and a btf_trace_ typedef per tracepoint.</summary>
    internal static byte[] FakeKernel(string[] helpers, Dictionary<string, int> tracepoints, string[]? programTypes = null)
    {
        var b = new BtfBuilder();
        var voidPtr = b.Add("", BtfKind.Pointer, 0, false, 0);
        var task = b.Add("task_struct", BtfKind.Struct, 0, false, 0);
        var taskPtr = b.Add("", BtfKind.Pointer, 0, false, (uint)task);
        AddEnum(b, "bpf_func_id", helpers.Select((h, i) => ("BPF_FUNC_" + h, (uint)i + 1)).Prepend(("BPF_FUNC_unspec", 0u)));
        AddEnum(b, "bpf_prog_type", (programTypes ?? ["SOCKET_FILTER", "TRACING"]).Select((t, i) => ("BPF_PROG_TYPE_" + t, (uint)i + 1)));
        AddEnum(b, "bpf_map_type", [("BPF_MAP_TYPE_HASH", 1u), ("BPF_MAP_TYPE_RINGBUF", 27u)]);
        foreach (var (name, arguments) in tracepoints)
        {
            // typedef void (*btf_trace_<name>)(void *__data, <arguments>);
            var parameters = new List<uint> { b.Name("__data"), (uint)voidPtr };
            for (var i = 0; i < arguments; i++)
                parameters.AddRange([b.Name("arg" + i), (uint)taskPtr]);
            var proto = b.Add("", BtfKind.FuncProto, arguments + 1, false, 0, [.. parameters]);
            var pointer = b.Add("", BtfKind.Pointer, 0, false, (uint)proto);
            b.Add("btf_trace_" + name, BtfKind.Typedef, 0, false, (uint)pointer);
        }
        return b.Build();
    }

    private static void AddEnum(BtfBuilder b, string name, IEnumerable<(string Name, uint Value)> values)
    {
        var list = values.ToList();
        b.Add(name, BtfKind.Enum, list.Count, false, 4, [.. list.SelectMany(v => new[] { b.Name(v.Name), v.Value })]);
    }

    private static KernelBtfFeatures Debian510() => new(BtfSpec.Parse(FakeKernel(
        ["map_lookup_elem", "get_current_task", "probe_read_kernel", "ringbuf_output"],
        new() { ["sched_process_exit"] = 1, ["sched_process_fork"] = 2 })));

    private static KernelBtfFeatures Debian616() => new(BtfSpec.Parse(FakeKernel(
        ["map_lookup_elem", "get_current_task", "probe_read_kernel", "ringbuf_output", "ktime_get_coarse_ns", "get_current_task_btf", "task_pt_regs", "loop"],
        new() { ["sched_process_exit"] = 2, ["sched_process_fork"] = 2 })));

    [Fact]
    public void Helpers_are_the_enumerators_of_bpf_func_id()
    {
        var old = Debian510();
        Assert.True(old.HasHelper("get_current_task"));
        Assert.True(old.HasHelper("bpf_get_current_task")); // the C name works too
        Assert.False(old.HasHelper("get_current_task_btf"));
        Assert.False(old.HasHelper("task_pt_regs"));
        Assert.False(old.HasHelper("loop"));
        var current = Debian616();
        Assert.True(current.HasHelper("get_current_task_btf"));
        Assert.True(current.HasHelper("loop"));
        Assert.Equal(6, current.HelperId("get_current_task_btf")); // the value in this kernel's enum
        Assert.Null(old.HelperId("get_current_task_btf"));
        Assert.Equal("task_pt_regs", current.HelperName(7));
        Assert.Null(current.HelperName(99));
    }

    [Fact]
    public void Tracepoint_argument_counts_come_from_the_btf_trace_prototypes()
    {
        Assert.Equal(1, Debian510().TracepointArgumentCount("sched_process_exit"));
        Assert.Equal(2, Debian616().TracepointArgumentCount("sched_process_exit"));
        Assert.Equal(2, Debian510().TracepointArgumentCount("sched_process_fork"));
        Assert.Null(Debian510().TracepointArgumentCount("no_such_tracepoint"));
    }

    [Fact]
    public void Program_and_map_types_are_the_enumerators_of_their_enums()
    {
        var kernel = Debian510();
        Assert.True(kernel.HasProgramType("tracing"));
        Assert.True(kernel.HasProgramType("SOCKET_FILTER"));
        Assert.False(kernel.HasProgramType("lsm"));
        Assert.True(kernel.HasMapType("ringbuf"));
        Assert.False(kernel.HasMapType("user_ringbuf"));
    }

    [Fact]
    public void A_btf_without_the_enums_has_no_helpers_rather_than_failing()
    {
        var b = new BtfBuilder();
        b.Add("int", BtfKind.Int, 0, false, 4, 0x20);
        var kernel = new KernelBtfFeatures(BtfSpec.Parse(b.Build()));
        Assert.False(kernel.HasHelper("map_lookup_elem"));
        Assert.Null(kernel.TracepointArgumentCount("sched_process_exit"));
    }
}

public partial class KernelBtfTests
{
    [SkippableFact]
    public void Kernel_features_match_bpftool()
    {
        Requirements.RequireKernelBtf();
        Requirements.RequireTool("bpftool");
        var features = new KernelBtfFeatures(BtfSpec.Parse(File.ReadAllBytes(VmlinuxPath)));
        Assert.Equal((int)BpftoolEnumValue("bpf_func_id", "BPF_FUNC_map_lookup_elem"), features.HelperId("map_lookup_elem"));
        Assert.Equal((int)BpftoolEnumValue("bpf_func_id", "BPF_FUNC_ringbuf_output"), features.HelperId("ringbuf_output"));
        Assert.True(features.HasProgramType("socket_filter"));
        foreach (var tracepoint in new[] { "sched_process_exit", "sched_process_fork", "sched_process_exec" })
            Assert.Equal(BpftoolTracepointArguments(tracepoint), features.TracepointArgumentCount(tracepoint));
    }

    /// <summary>The parameters of btf_trace_&lt;tracepoint&gt;'s prototype, minus the leading void *__data, as bpftool prints them.</summary>
    private static int BpftoolTracepointArguments(string tracepoint)
    {
        var output = VmlinuxDump();
        var typedef = Regex.Match(output, $@"\] TYPEDEF 'btf_trace_{tracepoint}' type_id=(\d+)");
        Assert.True(typedef.Success, $"bpftool printed no btf_trace_{tracepoint}");
        var pointer = Regex.Match(output, $@"\n\[{typedef.Groups[1].Value}\] PTR '\(anon\)' type_id=(\d+)");
        var proto = Regex.Match(output, $@"\n\[{pointer.Groups[1].Value}\] FUNC_PROTO '\(anon\)' ret_type_id=\d+ vlen=(\d+)");
        Assert.True(proto.Success, $"bpftool printed no prototype for btf_trace_{tracepoint}");
        return int.Parse(proto.Groups[1].Value) - 1;
    }
}
