using System.Buffers.Binary;
using System.Text;
using OsqueryBpf.Probes.Decoding;

namespace OsqueryBpf.Probes;

/// <summary>The process and file probes (probes/bpf/process.bpf.c, probes/bpf/file.bpf.c).</summary>
public static class ProbeDefinitions
{
    /// <summary>execs, exits and optional forks into ebpf_process_events.</summary>
    public static ProbeDefinition Process { get; } = new()
    {
        Name = "process",
        ObjectResource = "process.bpf.o",
        Table = "ebpf_process_events",
        RingMap = "process_events",
        LostMap = "process_events_lost",
        Hooks =
        [
            new("sys_enter_execve", HookKind.Tracepoint, "syscalls/sys_enter_execve", SyscallTracepointsKernel),
            new("sys_enter_execveat", HookKind.Tracepoint, "syscalls/sys_enter_execveat", SyscallTracepointsKernel),
            new("sys_exit_execve", HookKind.Tracepoint, "syscalls/sys_exit_execve", SyscallTracepointsKernel),
            new("sys_exit_execveat", HookKind.Tracepoint, "syscalls/sys_exit_execveat", SyscallTracepointsKernel),
            new("sched_process_exit", HookKind.BtfTracepoint, "sched_process_exit", BtfTracepointsKernel)
            {
                // group_dead, the "last thread of the process" flag, was added to the tracepoint in Linux 6.16.
                TracepointArguments = 2,
                Fallbacks = [new("sched_process_exit_live", 1, "the tracepoint's group_dead argument needs Linux 6.16; the last thread is found by signal->live")],
            },
            new("sched_process_fork", HookKind.BtfTracepoint, "sched_process_fork", BtfTracepointsKernel),
        ],
        BuildConstants = settings =>
        {
            settings.Validate();
            return
            [
                Constant("ignore_tgid", (uint)settings.IgnoredProcessId),
                Constant("ring_wakeup_bytes", (uint)settings.RingWakeupBytes),
                Constant("max_argv_bytes", (uint)settings.MaxArgvBytes),
                Constant("max_args", (uint)settings.MaxArgs),
                Constant("record_forks", settings.RecordForks),
            ];
        },
        CreateDecoder = (settings, clock) => new ProcessRecordDecoder(settings, clock),
    };

    /// <summary>File operations into ebpf_file_events.</summary>
    public static ProbeDefinition File { get; } = new()
    {
        Name = "file",
        ObjectResource = "file.bpf.o",
        Table = "ebpf_file_events",
        RingMap = "file_events",
        LostMap = "file_events_lost",
        Hooks = FileHooks(),
        BuildConstants = settings =>
        {
            settings.Validate();
            var constants = new List<KeyValuePair<string, byte[]>>
            {
                Constant("ignore_tgid", (uint)settings.IgnoredProcessId),
                Constant("ring_wakeup_bytes", (uint)settings.RingWakeupBytes),
                Constant("record_read_opens", settings.RecordReadOpens),
                Constant("record_executable", settings.RecordExecutable),
            };
            AddPrefixes(constants, "include", settings.IncludePathPrefixes);
            AddPrefixes(constants, "exclude", settings.ExcludePathPrefixes);
            return constants;
        },
        CreateDecoder = (_, clock) => new FileRecordDecoder(clock),
    };

    /// <summary>The first kernel whose syscall tracepoints BPF programs can attach to.</summary>
    internal const string SyscallTracepointsKernel = "4.7";

    /// <summary>The first kernel with BTF tracepoints (tp_btf programs).</summary>
    internal const string BtfTracepointsKernel = "5.5";

    /// <summary>Both probes.</summary>
    public static IReadOnlyList<ProbeDefinition> All { get; } = [Process, File];

    private static ProbeHook[] FileHooks()
    {
        // openat2 arrived in Linux 5.6 and fchmodat2 in 6.6; the rest are as old as the syscall tracepoints. A kernel
        // without those syscalls loses nothing by lacking their tracepoints.
        string[] syscalls =
        [
            "openat", "openat2", "open", "creat", "truncate", "ftruncate", "unlink", "unlinkat", "rmdir", "mkdir",
            "mkdirat", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "lchown", "fchown", "fchownat", "rename",
            "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
        ];
        return syscalls
            .Select(name => new ProbeHook("sys_exit_" + name, HookKind.Tracepoint, "syscalls/sys_exit_" + name,
                name switch { "openat2" => "5.6", "fchmodat2" => "6.6", _ => SyscallTracepointsKernel })
            {
                Optional = name is "openat2" or "fchmodat2",
            })
            .ToArray();
    }

    private static void AddPrefixes(List<KeyValuePair<string, byte[]>> constants, string which, IReadOnlyList<string> prefixes)
    {
        var lengths = new byte[ProbeSettings.MaxPrefixes];
        var table = new byte[ProbeSettings.MaxPrefixes * ProbeSettings.MaxPrefixBytes];
        for (int i = 0; i < prefixes.Count; i++)
        {
            int n = Encoding.UTF8.GetBytes(prefixes[i], table.AsSpan(i * ProbeSettings.MaxPrefixBytes, ProbeSettings.MaxPrefixBytes));
            lengths[i] = (byte)n;
        }
        constants.Add(Constant($"{which}_prefix_count", (uint)prefixes.Count));
        constants.Add(new($"{which}_prefix_lens", lengths));
        constants.Add(new($"{which}_prefixes", table));
    }

    internal static KeyValuePair<string, byte[]> Constant(string name, uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return new(name, bytes);
    }

    internal static KeyValuePair<string, byte[]> Constant(string name, bool value) => new(name, [value ? (byte)1 : (byte)0]);
}
