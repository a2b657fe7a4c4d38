using OsqueryBpf.Events;

namespace OsqueryBpf.Probes;

/// <summary>One exec (successful or failed), exit, or (optionally) fork: a row of <c>ebpf_process_events</c>.</summary>
public sealed class ProcessEvent : Event
{
    /// <summary>execve, execveat, exit, fork or clone.</summary>
    public string Syscall { get; set; } = "";

    /// <summary>Absolute path of the executed binary.</summary>
    public string Path { get; set; } = "";

    /// <summary>Working directory of the process.</summary>
    public string Cwd { get; set; } = "";

    /// <summary>1: <see cref="Path"/> came from a kernel object; 0: normalised lexically from text; -1: not known to be canonical.</summary>
    public long PathResolved { get; set; }

    /// <summary>The arguments, exactly as passed (argv[0] first).</summary>
    public IReadOnlyList<string> Argv { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Bytes of argv as the kernel had them (each argument with its NUL), before any cut; null when the probe cut
    /// argv (the full size is not in the record) and for exits and forks, which have no argv.
    /// </summary>
    public long? ArgvSize { get; set; }

    /// <summary>The exec's return value, or the exit status for exits.</summary>
    public long ExitCode { get; set; }

    /// <summary>Nanoseconds spent in the syscall; for exits, the process lifetime.</summary>
    public long Duration { get; set; }

    /// <summary>Effective user id.</summary>
    public long Euid { get; set; }

    /// <summary>Effective group id.</summary>
    public long Egid { get; set; }

    /// <summary>Login (audit) user id; 4294967295 when unset.</summary>
    public long Auid { get; set; }
}
