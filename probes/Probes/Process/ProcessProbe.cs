using System.Text.Json.Serialization;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes.Runtime;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Probes;

/// <summary>The process probe (process.bpf.c): execs, exits and optional forks into <c>ebpf_process_events</c>.</summary>
public static class ProcessProbe
{
    /// <summary><c>ebpf_process_events</c>.</summary>
    public static TableDefinition Table { get; } = new(
        "ebpf_process_events",
        "One row per exec (successful or failed) and per process exit; forks and clones when enabled.",
        isEvented: true,
        typeof(ProcessEvent),
        new ColumnListBuilder<ProcessEvent>().Time()
            .Text("syscall", "execve, execveat, exit, or fork/clone when enabled.", e => e.Syscall)
            .ProcessIdentity()
            .Integer("euid", ColumnType.BigInt, "Effective user id.", e => e.Euid)
            .Integer("egid", ColumnType.BigInt, "Effective group id.", e => e.Egid)
            .Integer("auid", ColumnType.BigInt, "Login (audit) user id; 4294967295 when unset.", e => e.Auid)
            .Text("path", "Absolute, canonical path of the executed binary (see path_resolved); for exits, the binary the process last executed.", e => e.Path)
            .Text("cwd", "Working directory of the process; for exits, the one at its last exec.", e => e.Cwd)
            .Integer("path_resolved", ColumnType.Integer, "1: path came whole from a kernel object (a successful exec's binary); 0: the filename the process passed (a failed exec), joined to its cwd and normalised lexically, so symlinks may remain; -1: not known to be canonical (an unresolved /proc/<pid> alias, a cut path, or an exit whose exec was not seen).", e => e.PathResolved)
            .Text("cmdline", "The arguments joined by spaces (json_cmdline is exact).", e => ArgvFormatting.CommandLine(e.Argv))
            .Integer("cmdline_size", ColumnType.BigInt, "Bytes of argv as the kernel had them (each argument with its NUL), before any cut; " +
                "empty (NULL) when argv was cut (probe_error = 1: its full size is not known) and on exit and fork rows. Hidden, as in osquery.",
                e => e.ArgvSize ?? ColumnListBuilder<ProcessEvent>.Null, ColumnOptions.Index | ColumnOptions.Hidden, nullable: true)
            .NumberAsText("exit_code", "The exec's return value (a negative errno on failure), or the exit status for exits.", e => e.ExitCode)
            .Integer("duration", ColumnType.BigInt, "Nanoseconds spent in the syscall; for exits, the process lifetime.", e => e.Duration)
            .Tail()
            .Text("json_cmdline", "The arguments as a JSON array of strings, exactly as passed.",
                e => ArgvFormatting.JsonArray(e.Argv), ColumnOptions.Index | ColumnOptions.Hidden)
            .Eid()
            .Build());

    /// <summary>The probe.</summary>
    public static ProbeDefinition Definition { get; } = new()
    {
        Name = "process",
        Tables = [Table],
        HookDeclarations =
        [
            new("sched_process_exit")
            {
                // group_dead, the "last thread of the process" flag, was added to the tracepoint in Linux 6.16.
                TracepointArguments = 2,
                Fallbacks = [new("sched_process_exit_live", 1, "the tracepoint's group_dead argument needs Linux 6.16; the last thread is found by signal->live")],
            },
        ],
        SettingsJson = ProcessSettingsJson.Default.ProcessSettings,
        DefaultSettings = () => new ProcessSettings(),
        BuildConstants = settings =>
        {
            var process = (ProcessSettings)settings;
            return
            [
                ProbeDefinition.Constant("max_argv_bytes", (uint)process.MaxArgvBytes),
                ProbeDefinition.Constant("max_args", (uint)process.MaxArgs),
                ProbeDefinition.Constant("record_forks", process.RecordForks),
            ];
        },
        CreateDecoder = (settings, context) => new ProcessRecordDecoder((ProcessSettings)settings, context.Clock, context.Containers, context.Images),
    };
}

/// <summary>The process probe's keys in the settings file (README.md here documents them).</summary>
public sealed class ProcessSettings : ProbeSettings
{
    /// <summary>Largest <see cref="MaxArgvBytes"/> (ARGV_CAP in process.bpf.c).</summary>
    public const int ArgvBytesCap = 16384;

    /// <summary>Largest <see cref="MaxArgs"/> (MAX_ARGS_CAP in process.bpf.c).</summary>
    public const int ArgsCap = 256;

    /// <summary>max_argv_bytes: bytes of argv captured per exec; longer argv is cut and flagged (probe_error). Default 4096.</summary>
    public int MaxArgvBytes { get; set; } = 4096;

    /// <summary>max_args: arguments kept per exec; more are dropped and flagged. Default 128.</summary>
    public int MaxArgs { get; set; } = 128;

    /// <summary>record_forks: also record forks and clones of new processes. Default off.</summary>
    public bool RecordForks { get; set; }

    /// <inheritdoc />
    public override void Validate()
    {
        if (MaxArgvBytes is < 1 or > ArgvBytesCap)
            throw new ArgumentException($"max_argv_bytes is {MaxArgvBytes}; it must be between 1 and {ArgvBytesCap}.");
        if (MaxArgs is < 1 or > ArgsCap)
            throw new ArgumentException($"max_args is {MaxArgs}; it must be between 1 and {ArgsCap}.");
    }
}

/// <summary>Reads <see cref="ProcessSettings"/> from the settings file: snake_case keys, AOT-clean.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProcessSettings))]
internal sealed partial class ProcessSettingsJson : JsonSerializerContext;
