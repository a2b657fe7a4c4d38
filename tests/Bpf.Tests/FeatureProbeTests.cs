using System.Text;
using OsqueryBpf.Bpf.Btf;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Bpf.Programs;
using OsqueryBpf.Bpf.Tests.Infrastructure;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Bpf.Tests;

/// <summary>
/// Feature probing that needs the kernel: which helpers a program type may call (asked of the verifier), and whether
/// RLIMIT_MEMLOCK must be raised (decided from the kernel's BTF).
/// </summary>
[Collection(KernelCollection.Name)]
public sealed unsafe class FeatureProbeTests
{
    private static FakeBpfSyscalls VerifierSays(string? log, Errno errno, List<(uint Type, int Helper)> seen) => new((BpfCmd cmd, void* attr, uint size, out Errno e) =>
    {
        var a = (ProgLoadAttr*)attr;
        var first = *(Instruction*)a->insns;
        seen.Add((a->prog_type, first.Immediate));
        if (log is null)
        {
            e = Errno.None;
            return FakeBpfSyscalls.NewFd();
        }
        var bytes = Encoding.ASCII.GetBytes(log + "\0");
        bytes.AsSpan(0, Math.Min(bytes.Length, (int)a->log_size)).CopyTo(new Span<byte>((void*)a->log_buf, (int)a->log_size));
        e = errno;
        return -1;
    });

    [Fact]
    public void A_helper_the_verifier_does_not_know_for_the_type_is_not_callable()
    {
        var seen = new List<(uint, int)>();
        Assert.False(HelperProbe.Ask(VerifierSays("0: (85) call bpf_get_current_cgroup_id#80\nunknown func bpf_get_current_cgroup_id#80\n", Errno.EINVAL, seen), ProgramType.SocketFilter, 80));
        Assert.False(HelperProbe.Ask(VerifierSays("invalid func unknown#158\n", Errno.EINVAL, seen), ProgramType.SocketFilter, 158));
        Assert.Equal([(1u, 80), (1u, 158)], seen); // the program type and the helper in the call instruction
    }

    [Fact]
    public void A_refusal_for_anything_but_the_helper_means_the_helper_is_callable()
    {
        var seen = new List<(uint, int)>();
        Assert.True(HelperProbe.Ask(VerifierSays("0: (85) call bpf_probe_read_kernel#113\nR1 !read_ok\n", Errno.EACCES, seen), ProgramType.SocketFilter, 113));
        Assert.True(HelperProbe.Ask(VerifierSays(null, Errno.None, seen), ProgramType.SocketFilter, 14)); // loaded as it stands
        Assert.False(HelperProbe.Ask(VerifierSays("", Errno.EPERM, seen), ProgramType.SocketFilter, 14)); // no verdict at all
    }

    [SkippableFact]
    public void The_running_verifier_answers_for_helpers_every_kernel_has_and_for_ids_none_has()
    {
        Requirements.RequireRoot();
        Assert.True(HelperProbe.Ask(LinuxBpfSyscalls.Instance, ProgramType.SocketFilter, 1));    // map_lookup_elem: every type since 3.19
        Assert.True(HelperProbe.Ask(LinuxBpfSyscalls.Instance, ProgramType.TracePoint, 14));    // get_current_pid_tgid in tracing programs
        Assert.False(HelperProbe.Ask(LinuxBpfSyscalls.Instance, ProgramType.SocketFilter, 100_000));
    }

    [Fact]
    public void Before_5_11_bpf_memory_is_charged_to_memlock_and_after_it_is_not()
    {
        Assert.True(MemlockLimit.KernelCharges(null, new Version(5, 10)));
        Assert.False(MemlockLimit.KernelCharges(null, new Version(5, 11)));
        Assert.False(MemlockLimit.KernelCharges(null, null)); // unknown: leave the limit alone
    }

    [SkippableFact]
    public void The_kernel_btf_decides_memlock_charging_by_the_5_11_helper()
    {
        Requirements.RequireKernelBtf();
        var real = KernelBtf.Spec;
        var features = new KernelBtfFeatures(real);
        Skip.IfNot(features.HasHelper("ktime_get_coarse_ns"), "this kernel predates 5.11");
        Assert.False(MemlockLimit.KernelCharges(features, new Version(5, 4))); // BTF beats the release number
        var before511 = new KernelBtfFeatures(Rename(real, "BPF_FUNC_ktime_get_coarse_ns"));
        Assert.True(MemlockLimit.KernelCharges(before511, new Version(6, 1)));
    }

    [SkippableFact]
    public void Where_the_kernel_does_not_charge_memlock_the_limit_is_left_alone()
    {
        Requirements.RequireKernelBtf();
        Skip.IfNot(KernelBtf.Features.HasHelper("ktime_get_coarse_ns"), "this kernel charges memlock");
        var before = MemlockLine();
        Assert.Equal(MemlockOutcome.NotCharged, MemlockLimit.EnsureRaised());
        Assert.Equal(before, MemlockLine());
    }

    private static string MemlockLine() => File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max locked memory", StringComparison.Ordinal));

    private static BtfSpec Rename(BtfSpec btf, string name)
    {
        var bytes = btf.RawBytes.ToArray();
        var needle = Encoding.ASCII.GetBytes("\0" + name + "\0");
        var at = bytes.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, $"No string {name} in the kernel BTF.");
        bytes[at + needle.Length - 2] = (byte)'X';
        return BtfSpec.Parse(bytes);
    }
}
