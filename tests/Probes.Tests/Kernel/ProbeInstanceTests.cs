using OsqueryBpf.Bpf.Btf;
using OsqueryBpf.Bpf.Collections;
using OsqueryBpf.Bpf.Object.Core;
using OsqueryBpf.Probes.Kernel;
using OsqueryBpf.Probes.Runtime;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>Probes fitted to the running kernel, and to this kernel presented as an older one, loaded for real.</summary>
public sealed class ProbeInstanceTests
{
    private static void Require()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
    }

    [SkippableFact]
    public void Every_probe_loads_complete_here_with_the_programs_this_kernel_calls_for()
    {
        Require();
        var kernel = RunningKernel.Open();
        foreach (var definition in new[] { ProcessProbe.Definition, FileProbe.Definition, SocketProbe.Definition, DnsProbe.Definition })
        {
            using var probe = ProbeInstance.Load(definition);
            Assert.True(probe.Complete, $"{definition.Name}: " + string.Join(" | ", probe.Missing.Select(h => h.Describe())));
            foreach (var (name, result) in probe.Collection.Programs)
            {
                var planned = probe.Plan.Programs.Contains(name);
                Assert.Equal(planned, result.Status != ProgramLoadStatus.Skipped);
            }
        }
        // The exit program matches what this kernel's tracepoint passes (group_dead from Linux 6.16).
        using var process = ProbeInstance.Load(ProcessProbe.Definition);
        var exit = process.Hooks.Single(h => h.Hook.Target == "sched_process_exit");
        Assert.Equal(kernel.TracepointArguments("sched_process_exit") >= 2 ? "sched_process_exit" : "sched_process_exit_live", exit.ProgramName);
    }

    [SkippableFact]
    public void Exec_rows_keep_flowing_when_the_exit_hook_cannot_be_served()
    {
        Require();
        var marker = "osqbpf-noexit-" + Guid.NewGuid().ToString("N");
        using var probe = OlderKernel.WithoutUsableExitTracepoint.Load(ProcessProbe.Definition, new ProcessSettings(), new ProbeContext { IgnoredProcessId = 0 });
        Assert.False(probe.Complete);
        var missing = Assert.Single(probe.Missing);
        Assert.Equal("sched_process_exit", missing.Hook.Target);
        Assert.StartsWith("tp_btf/sched_process_exit (Linux 5.5+): the tracepoint passes 0 argument(s)", missing.Describe());
        Assert.Equal(ProgramLoadStatus.Skipped, probe.Collection.Programs["sched_process_exit"].Status);
        Assert.Equal(ProgramLoadStatus.Skipped, probe.Collection.Programs["sched_process_exit_live"].Status);

        var seen = new List<ProcessEvent>();
        using var reader = new ProbeEventReader(probe, new ProcessSettings(), new ProbeContext(), evt =>
        {
            if (evt is ProcessEvent p && p.Argv.Contains(marker))
            {
                lock (seen)
                    seen.Add(p);
            }
        });
        var (pid, _) = Shell.Check("exit 0", marker);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            lock (seen)
            {
                if (seen.Any(e => e.Syscall == "execve"))
                    break;
            }
            Thread.Sleep(20);
        }
        lock (seen)
        {
            var exec = Assert.Single(seen, e => e.Syscall == "execve");
            Assert.Equal(pid, exec.Pid);
            Assert.DoesNotContain(seen, e => e.Syscall == "exit");
        }
    }

    [SkippableFact]
    public void The_helper_checks_resolve_to_the_kernels_answer_here_and_to_no_where_helpers_are_hidden()
    {
        Require();
        var kernel = RunningKernel.Open();
        using var here = ProbeInstance.Load(FileProbe.Definition);
        using var as510 = OlderKernel.Linux510.Load(FileProbe.Definition, new FileSettings(), new ProbeContext());
        var hereChecks = HelperChecks(here);
        var as510Checks = HelperChecks(as510);
        Assert.NotEmpty(hereChecks);
        Assert.Equal(hereChecks.Count, as510Checks.Count);
        var expected = kernel.HasHelper("get_current_task_btf") && kernel.HasHelper("task_pt_regs") ? 1UL : 0UL;
        Assert.All(hereChecks, f => Assert.Equal(expected, f.TargetValue));
        Assert.All(as510Checks, f => Assert.Equal(0UL, f.TargetValue));
        Assert.True(as510.Complete, string.Join(" | ", as510.Missing.Select(h => h.Describe())));
    }

    private static List<CoreFixup> HelperChecks(ProbeInstance probe) =>
        probe.Collection.Programs["sys_exit_openat"].CoreFixups.Where(f => f.Relocation.Kind == CoreRelocationKind.EnumValueExists).ToList();

    [SkippableFact]
    public void Hiding_a_helper_renames_its_enumerator_and_nothing_else()
    {
        Require();
        var real = KernelBtf.Spec;
        var hidden = OlderKernel.HideHelpers(real, ["task_pt_regs"]);
        var before = new Bpf.Object.Btf.KernelBtfFeatures(real);
        var after = new Bpf.Object.Btf.KernelBtfFeatures(hidden);
        Skip.IfNot(before.HasHelper("task_pt_regs"), "this kernel has no bpf_task_pt_regs to hide");
        Assert.False(after.HasHelper("task_pt_regs"));
        Assert.True(after.HasHelper("get_current_task_btf"));
        Assert.Equal(real.TypeCount, hidden.TypeCount);
        Assert.Equal(before.TracepointArgumentCount("sched_process_exit"), after.TracepointArgumentCount("sched_process_exit"));
    }
}
