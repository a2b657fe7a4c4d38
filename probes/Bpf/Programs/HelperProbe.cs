using System.Collections.Concurrent;
using System.Text;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Programs;

/// <summary>
/// Whether programs of one type may call a helper on the running kernel. The kernel's BTF says which helpers exist
/// (<see cref="Object.Btf.KernelBtfFeatures.HasHelper"/>), but each program type has its own list, which changes
/// from release to release: a socket filter may call bpf_get_current_task_btf on Linux 6.1 but not
/// bpf_get_current_cgroup_id, which it may on 6.12. Only the verifier knows, so it is asked: a two-instruction
/// program that calls the helper is loaded, and the verifier either complains about the helper itself
/// ("unknown func", "invalid func") or about something else (the missing arguments), which means the helper is
/// allowed. The same probe libbpf makes (libbpf_probe_bpf_helper). Not for program types that need an attach
/// target (tracing, LSM). Answers are cached per process.
/// </summary>
public static class HelperProbe
{
    private static readonly ConcurrentDictionary<(ProgramType, int), bool> s_answers = new();

    /// <summary>Whether a program of type <paramref name="type"/> may call helper <paramref name="helperId"/> on the running kernel.</summary>
    public static bool CanCall(ProgramType type, int helperId) =>
        s_answers.GetOrAdd((type, helperId), key => Ask(LinuxBpfSyscalls.Instance, key.Item1, key.Item2));

    /// <summary>The probe itself, through <paramref name="sys"/> (tests give a fake kernel); not cached.</summary>
    internal static bool Ask(IBpfSyscalls sys, ProgramType type, int helperId)
    {
        Instruction[] program =
        [
            new(0x85, 0, 0, 0, helperId), // call helper
            new(0xb7, 0, 0, 0, 0),        // r0 = 0
            new(0x95, 0, 0, 0, 0),        // exit
        ];
        var input = new ProgLoadInput
        {
            ProgramType = (uint)type,
            Name = "helper_probe",
            Instructions = Instruction.AsBytes(program),
            License = "GPL", // GPL-only helpers are refused to other licenses with a message of their own
        };
        var log = new byte[4096];
        var fd = BpfInterop.ProgLoad(sys, input, 1, log, out var errno, out _);
        if (fd >= 0)
        {
            new SafeBpfHandle(fd).Dispose();
            return true; // a helper without arguments: the program is valid as it stands
        }
        var end = Array.IndexOf(log, (byte)0);
        var text = Encoding.UTF8.GetString(log, 0, end < 0 ? log.Length : end);
        if (text.Length == 0)
            return false; // refused before the verifier ran (no privilege, unknown program type): the helper is of no use either
        return !text.Contains("unknown func", StringComparison.Ordinal) && !text.Contains("invalid func", StringComparison.Ordinal);
    }
}
