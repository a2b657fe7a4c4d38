using System.Runtime.InteropServices;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Probes.Kernel;
using OsqueryBpf.Probes.Runtime;
using Xunit;

namespace OsqueryBpf.Probes.Tests;

/// <summary>A kernel described by hand: the facts Debian's kernels showed when booted under qemu.</summary>
internal sealed class FakeKernel : IKernelProfile
{
    public required string Release { get; init; }
    public Dictionary<string, int> Tracepoints { get; init; } = new() { ["sched_process_exit"] = 2, ["sched_process_fork"] = 2 };
    public HashSet<string> Helpers { get; init; } = ["get_current_task", "get_current_task_btf", "task_pt_regs", "probe_read_kernel", "probe_read_kernel_str", "get_current_cgroup_id"];
    public HashSet<string> SocketFilterHelpers { get; init; } = [];

    public int? TracepointArguments(string tracepoint) => Tracepoints.TryGetValue(tracepoint, out var n) ? n : null;
    public bool HasHelper(string helper) => Helpers.Contains(helper);
    public bool CanCall(ProgramType programType, string helper) =>
        Helpers.Contains(helper) && (programType != ProgramType.SocketFilter || SocketFilterHelpers.Contains(helper));

    /// <summary>Debian 11's 5.10: no typed task, no bpf_task_pt_regs, a one-argument sched_process_exit; a socket filter may probe-read the task.</summary>
    public static FakeKernel Linux510 => new()
    {
        Release = "5.10.0-46-cloud-amd64",
        Tracepoints = new() { ["sched_process_exit"] = 1, ["sched_process_fork"] = 2 },
        Helpers = ["get_current_task", "probe_read_kernel", "probe_read_kernel_str", "get_current_cgroup_id"],
        SocketFilterHelpers = ["get_current_task", "probe_read_kernel", "probe_read_kernel_str"],
    };

    /// <summary>Debian 12's 6.1: every helper, a one-argument sched_process_exit, a socket filter without bpf_get_current_cgroup_id.</summary>
    public static FakeKernel Linux61 => new()
    {
        Release = "6.1.0-50-cloud-amd64",
        Tracepoints = new() { ["sched_process_exit"] = 1, ["sched_process_fork"] = 2 },
        SocketFilterHelpers = ["get_current_task", "get_current_task_btf", "task_pt_regs", "probe_read_kernel", "probe_read_kernel_str"],
    };

    /// <summary>6.16 and later: sched_process_exit passes group_dead, a socket filter may call everything the DNS probe uses.</summary>
    public static FakeKernel Linux616 => new()
    {
        Release = "6.16.12+deb13-cloud-amd64",
        SocketFilterHelpers = ["get_current_task", "get_current_task_btf", "task_pt_regs", "probe_read_kernel", "probe_read_kernel_str", "get_current_cgroup_id"],
    };
}

/// <summary>How probes are fitted to kernels before anything is loaded: program variants and kernel-dependent constants.</summary>
public sealed class ProbePlanTests
{
    private static HookPlan ExitHook(ProbePlan plan) => plan.Hooks.Single(h => h.Hook.Target == "sched_process_exit");

    [Fact]
    public void Kernels_whose_exit_tracepoint_has_group_dead_load_the_main_exit_program_only()
    {
        var plan = ProbePlan.For(ProcessProbe.Definition, ProcessProbe.Definition.DefaultSettings(), new ProbeContext(), FakeKernel.Linux616);
        var exit = ExitHook(plan);
        Assert.Equal("sched_process_exit", exit.ProgramName);
        Assert.Null(exit.Fallback);
        Assert.Contains("sched_process_exit", plan.Programs);
        Assert.DoesNotContain("sched_process_exit_live", plan.Programs);
    }

    [Fact]
    public void Kernels_before_6_16_load_the_signal_live_exit_program_and_never_the_main_one()
    {
        foreach (var kernel in new[] { FakeKernel.Linux510, FakeKernel.Linux61 })
        {
            var plan = ProbePlan.For(ProcessProbe.Definition, ProcessProbe.Definition.DefaultSettings(), new ProbeContext(), kernel);
            var exit = ExitHook(plan);
            Assert.Equal("sched_process_exit_live", exit.ProgramName);
            Assert.Contains("6.16", exit.Fallback);
            Assert.DoesNotContain("sched_process_exit", plan.Programs); // the verifier of these kernels refuses it
            Assert.Contains("sched_process_exit_live", plan.Programs);
            Assert.Contains("sys_exit_execve", plan.Programs);
            Assert.Contains("sched_process_fork", plan.Programs);
        }
    }

    [Fact]
    public void A_kernel_without_the_btf_tracepoint_has_the_hook_missing_with_the_reason_and_the_others_planned()
    {
        var kernel = new FakeKernel { Release = "odd", Tracepoints = new() { ["sched_process_fork"] = 2 } };
        var plan = ProbePlan.For(ProcessProbe.Definition, ProcessProbe.Definition.DefaultSettings(), new ProbeContext(), kernel);
        var exit = ExitHook(plan);
        Assert.Null(exit.ProgramName);
        Assert.Contains("btf_trace_sched_process_exit", exit.Missing);
        Assert.DoesNotContain("sched_process_exit", plan.Programs);
        Assert.DoesNotContain("sched_process_exit_live", plan.Programs);
        Assert.Equal(5, plan.Programs.Count); // the exec hooks and fork still load
    }

    [Fact]
    public void A_tracepoint_with_fewer_arguments_than_every_program_reads_is_missing()
    {
        var kernel = new FakeKernel { Release = "odd", Tracepoints = new() { ["sched_process_exit"] = 0, ["sched_process_fork"] = 2 } };
        var exit = ExitHook(ProbePlan.For(ProcessProbe.Definition, ProcessProbe.Definition.DefaultSettings(), new ProbeContext(), kernel));
        Assert.Null(exit.ProgramName);
        Assert.Contains("passes 0 argument(s)", exit.Missing);
    }

    [Fact]
    public void Every_hook_says_from_which_kernel_it_exists()
    {
        foreach (var probe in ProbeCatalog.All)
        {
            foreach (var hook in probe.Hooks)
                Assert.True(Version.TryParse(hook.MinimumKernel, out _), $"{probe.Name} {hook}: '{hook.MinimumKernel}'");
        }
        var file = FileProbe.Definition.Hooks.ToDictionary(h => h.ProgramName);
        Assert.Equal("5.6", file["sys_exit_openat2"].MinimumKernel);
        Assert.Equal("6.6", file["sys_exit_fchmodat2"].MinimumKernel);
        Assert.True(file["sys_exit_fchmodat2"].Optional);
        Assert.False(file["sys_exit_openat"].Optional);
    }

    private static readonly string[] OlderFileSyscalls =
        ["open", "creat", "unlink", "rmdir", "mkdir", "chmod", "chown", "lchown", "rename", "link", "symlink"];

    private static Dictionary<string, ProbeHook> FileHooksOn(Architecture architecture) =>
        FileProbe.Definition.DeriveHooks(CollectionSpec.Parse(FileProbe.Definition.ReadObject()), architecture)
            .ToDictionary(h => h.ProgramName);

    [Fact]
    public void On_arm64_the_file_syscalls_it_has_only_in_at_form_are_optional_and_never_loaded()
    {
        var hooks = FileHooksOn(Architecture.Arm64);
        foreach (var syscall in OlderFileSyscalls)
        {
            var hook = hooks["sys_exit_" + syscall];
            Assert.True(hook.Optional, hook.ToString());
            Assert.Equal(Architecture.Arm64, hook.AbsentOn);
            var plan = ProbePlan.Choose(hook, FakeKernel.Linux616);
            Assert.Null(plan.ProgramName);
            Assert.Equal("arm64 kernels do not have it", plan.Missing);
        }
        // The *at forms, and everything both architectures have, stay required and are loaded.
        foreach (var hook in hooks.Values.Where(h => !OlderFileSyscalls.Contains(h.ProgramName["sys_exit_".Length..])))
        {
            Assert.Null(hook.AbsentOn);
            Assert.Equal(hook.ProgramName is "sys_exit_openat2" or "sys_exit_fchmodat2", hook.Optional);
            Assert.Equal(hook.ProgramName, ProbePlan.Choose(hook, FakeKernel.Linux616).ProgramName);
        }
        Assert.Equal(15, hooks.Values.Count(h => h.AbsentOn is null));
    }

    [Fact]
    public void On_x86_64_every_older_file_syscall_is_required()
    {
        var hooks = FileHooksOn(Architecture.X64);
        Assert.All(hooks.Values, h => Assert.Null(h.AbsentOn));
        foreach (var syscall in OlderFileSyscalls)
            Assert.False(hooks["sys_exit_" + syscall].Optional, syscall);
        Assert.Equal(["sys_exit_fchmodat2", "sys_exit_openat2"], hooks.Values.Where(h => h.Optional).Select(h => h.ProgramName).Order());
    }

    [Fact]
    public void A_hook_absent_on_the_architecture_is_described_as_optional_with_the_reason()
    {
        var hook = FileHooksOn(Architecture.Arm64)["sys_exit_open"];
        var plan = ProbePlan.Choose(hook, FakeKernel.Linux616);
        var state = new HookState(hook, null, false, plan.Missing, null);
        Assert.Equal("tracepoint/syscalls/sys_exit_open (Linux 4.7+, optional): arm64 kernels do not have it", state.Describe());
    }

    [Fact]
    public void A_missing_hook_is_described_with_its_attach_point_minimum_kernel_and_reason()
    {
        var hook = FileProbe.Definition.Hooks.Single(h => h.ProgramName == "sys_exit_fchmodat2");
        var state = new HookState(hook, "sys_exit_fchmodat2", false, "no such tracepoint", null);
        Assert.Equal("tracepoint/syscalls/sys_exit_fchmodat2 (Linux 6.6+, optional): no such tracepoint", state.Describe());
    }

    private static Dictionary<string, byte[]> DnsConstants(IKernelProfile kernel) =>
        ProbePlan.For(DnsProbe.Definition, DnsProbe.Definition.DefaultSettings(), new ProbeContext(), kernel).Constants.ToDictionary(c => c.Key, c => c.Value);

    [Fact]
    public void The_dns_filter_is_told_what_a_socket_filter_may_call_on_each_kernel()
    {
        var on510 = DnsConstants(FakeKernel.Linux510);
        Assert.Equal([1], on510["filter_sees_task"]);     // bpf_get_current_task and probe reads
        Assert.Equal([0], on510["filter_has_cgroup_id"]); // read from the task instead
        var on61 = DnsConstants(FakeKernel.Linux61);
        Assert.Equal([1], on61["filter_sees_task"]);
        Assert.Equal([0], on61["filter_has_cgroup_id"]);
        var on616 = DnsConstants(FakeKernel.Linux616);
        Assert.Equal([1], on616["filter_sees_task"]);
        Assert.Equal([1], on616["filter_has_cgroup_id"]);
        Assert.Equal(1232u, BitConverter.ToUInt32(on616["payload_limit"])); // the settings' constants are there too
    }

    [Fact]
    public void A_socket_filter_that_may_not_read_the_task_attributes_packets_through_the_port_map_only()
    {
        // The typed task where the kernel has it, its registers, and probe reads: all are needed.
        var noRegs = FakeKernel.Linux616;
        noRegs.SocketFilterHelpers.Remove("task_pt_regs");
        Assert.False(DnsProbe.SocketFilterSeesTask(noRegs));
        var noTask = FakeKernel.Linux510;
        noTask.SocketFilterHelpers.Remove("get_current_task");
        Assert.Equal([0], DnsConstants(noTask)["filter_sees_task"]);
        // Without bpf_task_pt_regs in the kernel at all, probe reads of the stack stand in for it.
        Assert.True(DnsProbe.SocketFilterSeesTask(FakeKernel.Linux510));
    }

    [Fact]
    public void Probes_without_kernel_dependent_constants_get_the_settings_constants_only()
    {
        var settings = new FileSettings();
        var context = new ProbeContext { IgnoredProcessId = 77 };
        var plan = ProbePlan.For(FileProbe.Definition, settings, context, FakeKernel.Linux510);
        Assert.Equal(FileProbe.Definition.Constants(settings, context, FakeKernel.Linux616).Select(c => c.Key), plan.Constants.Select(c => c.Key));
        Assert.Equal(FileProbe.Definition.Hooks.Select(h => h.ProgramName).Order(), plan.Programs.Order());
    }
}
