using System.Diagnostics;
using System.Text.RegularExpressions;
using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Bpf.Object.Core;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

/// <summary>The running kernel's BTF, checked against bpftool's reading of the same file.</summary>
public partial class KernelBtfTests
{
    private const string VmlinuxPath = "/sys/kernel/btf/vmlinux";

    [SkippableFact]
    public void ParsesKernelBtfAndFindsTracepointTypes()
    {
        Requirements.RequireKernelBtf();
        var btf = BtfSpec.Parse(File.ReadAllBytes(VmlinuxPath));
        Assert.True(btf.TypeCount > 10_000);
        Assert.True(btf.TryFindType("task_struct", BtfKind.Struct, out var task));
        Assert.True(btf.GetTypeSize(task) > 1000);
        Assert.True(btf.TryFindBtfTracepoint("sched_process_exec", out var tp));
        Assert.Equal("btf_trace_sched_process_exec", btf.GetName(tp));
        // Every type decodes: walking all of them must not throw.
        for (var id = 1; id <= btf.TypeCount; id++)
        {
            var kind = btf.GetKind(id);
            _ = btf.GetName(id);
            if (kind is BtfKind.Struct or BtfKind.Union)
            {
                for (var i = 0; i < btf.GetVlen(id); i++)
                    _ = btf.GetMember(id, i);
            }
        }
    }

    [SkippableFact]
    public void TaskStructOffsetsMatchBpftool()
    {
        Requirements.RequireKernelBtf();
        Requirements.RequireTool("bpftool");
        var expected = BpftoolMemberBitOffsets("task_struct", "real_parent", "tgid", "pid");
        var btf = BtfSpec.Parse(File.ReadAllBytes(VmlinuxPath));
        Assert.True(btf.TryFindType("task_struct", BtfKind.Struct, out var task));
        foreach (var (member, bits) in expected)
        {
            Assert.True(btf.TryGetMemberOffset(task, member, out var offset, out _));
            Assert.Equal(bits, offset);
        }
    }

    [SkippableFact]
    public void CoreRelocationAgainstTheKernelMatchesBpftool()
    {
        Requirements.RequireKernelBtf();
        Requirements.RequireTool("bpftool");
        var expected = BpftoolMemberBitOffsets("task_struct", "real_parent", "tgid");
        var spec = CollectionSpec.Parse(TestObjects.Resource("core_kernel.bpf.o"));
        var kernel = BtfSpec.Parse(File.ReadAllBytes(VmlinuxPath));
        var program = spec.Programs["kernel_reads"];
        var result = CoreRelocator.Apply(program, Assert.IsType<BtfSpec>(spec.Btf), kernel);

        var offsets = result.Fixups.Where(f => f.Relocation.Kind == CoreRelocationKind.FieldByteOffset && !f.Poisoned).ToList();
        // BPF_CORE_READ(task, tgid) is access 0:1; real_parent is 0:2.
        Assert.Contains(offsets, f => f.Relocation.AccessString == "0:1" && f.TargetValue == expected["tgid"] / 8);
        Assert.Contains(offsets, f => f.Relocation.AccessString == "0:2" && f.TargetValue == expected["real_parent"] / 8);
        foreach (var fixup in offsets)
            Assert.Equal((long)fixup.TargetValue, ImmediateOrOffset(result.Instructions[fixup.Relocation.InstructionIndex]));

        // The flavor's field does not exist: the check is 0 and the guarded read is poisoned.
        Assert.Contains(result.Fixups, f => f.Relocation.Kind == CoreRelocationKind.FieldExists && !f.Poisoned && f.TargetValue == 0);
        var poisoned = Assert.Single(result.Poisoned);
        Assert.Contains("field_that_no_kernel_has", poisoned.Reason);
        Assert.True(result.Instructions[poisoned.Relocation.InstructionIndex].IsPoisoned);

        // enum pid_type's PIDTYPE_SID value, from bpftool.
        var sid = BpftoolEnumValue("pid_type", "PIDTYPE_SID");
        Assert.Contains(result.Fixups, f => f.Relocation.Kind == CoreRelocationKind.EnumValue && (long)f.TargetValue == sid);
        Assert.True(kernel.TryFindType("task_struct", BtfKind.Struct, out var task));
        Assert.Contains(result.Fixups, f => f.Relocation.Kind == CoreRelocationKind.TypeSize && f.TargetValue == kernel.GetTypeSize(task));

        // in_execve is a 1-bit field (access 0:3): the load must cover its bit, and the shifts must isolate it.
        var bit = BpftoolMemberBitOffsets("task_struct", "in_execve")["in_execve"];
        var loadOffset = result.Fixups.Single(f => f.Relocation is { Kind: CoreRelocationKind.FieldByteOffset, AccessString: "0:3" }).TargetValue;
        var loadSize = result.Fixups.Single(f => f.Relocation is { Kind: CoreRelocationKind.FieldByteSize, AccessString: "0:3" }).TargetValue;
        var left = result.Fixups.Single(f => f.Relocation is { Kind: CoreRelocationKind.FieldLShiftU64, AccessString: "0:3" }).TargetValue;
        var right = result.Fixups.Where(f => f.Relocation is { Kind: CoreRelocationKind.FieldRShiftU64, AccessString: "0:3" }).Select(f => f.TargetValue).Distinct().Single();
        Assert.InRange(bit, loadOffset * 8, (loadOffset + loadSize) * 8 - 1);
        Assert.Equal(0ul, loadOffset % loadSize); // naturally aligned load
        // Simulate: a little-endian load with only that bit set, shifted as the program does, gives 1.
        var loaded = 1ul << (int)(bit - loadOffset * 8);
        Assert.Equal(1ul, (loaded << (int)left) >> (int)right);
        Assert.Equal(63ul, right);
    }

    internal static long ImmediateOrOffset(Instruction instruction) =>
        instruction.IsMemoryLoad || instruction.IsMemoryStore ? instruction.Offset : instruction.Immediate;

    /// <summary>Runs bpftool and reads "'name' type_id=N bits_offset=B" lines of one struct.</summary>
    private static Dictionary<string, ulong> BpftoolMemberBitOffsets(string structName, params string[] members)
    {
        var output = VmlinuxDump();
        var start = output.IndexOf($"] STRUCT '{structName}' size=", StringComparison.Ordinal);
        Assert.True(start >= 0, $"bpftool printed no STRUCT '{structName}'");
        var end = output.IndexOf("\n[", start, StringComparison.Ordinal);
        var body = output[start..(end < 0 ? output.Length : end)];
        var result = new Dictionary<string, ulong>();
        foreach (var member in members)
        {
            var match = Regex.Match(body, $@"'{member}' type_id=\d+ bits_offset=(\d+)");
            Assert.True(match.Success, $"bpftool printed no member '{member}' of '{structName}'");
            result[member] = ulong.Parse(match.Groups[1].Value);
        }
        return result;
    }

    private static long BpftoolEnumValue(string enumName, string value)
    {
        var output = VmlinuxDump();
        var start = output.IndexOf($"] ENUM '{enumName}'", StringComparison.Ordinal);
        Assert.True(start >= 0, $"bpftool printed no ENUM '{enumName}'");
        var end = output.IndexOf("\n[", start, StringComparison.Ordinal);
        var match = Regex.Match(output[start..end], $@"'{value}' val=(-?\d+)");
        Assert.True(match.Success);
        return long.Parse(match.Groups[1].Value);
    }

    private static string? s_dump; // bpftool's text dump of vmlinux, made once per test run

    private static string VmlinuxDump()
    {
        if (s_dump is not null)
            return s_dump;
        var start = new ProcessStartInfo(Requirements.FindTool("bpftool") ?? "bpftool", $"btf dump file {VmlinuxPath}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bpftool did not start.");
        var stderr = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "bpftool did not finish within 2 minutes");
        Assert.True(process.ExitCode == 0, $"bpftool failed: {stderr.Result}");
        return s_dump = output;
    }
}
