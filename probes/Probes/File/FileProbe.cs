using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Serialization;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes.Runtime;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Probes;

/// <summary>The file probe (file.bpf.c): file operations into <c>ebpf_file_events</c>.</summary>
public static class FileProbe
{
    /// <summary><c>ebpf_file_events</c>.</summary>
    public static TableDefinition Table { get; } = new(
        "ebpf_file_events",
        "One row per file operation. Opens for reading only are off by default; path include and exclude prefixes are applied to the canonical paths before a row is stored. Not seen: io_uring operations and opens through open_by_handle_at.",
        isEvented: true,
        typeof(FileEvent),
        new ColumnListBuilder<FileEvent>().Time()
            .Text("action", "open, create, truncate, unlink, rename, mkdir, rmdir, chmod, chown, link or symlink.", e => e.Action)
            .Text("syscall", "The syscall that performed the operation (openat, renameat2, fchmod, ...).", e => e.Syscall)
            .Text("path", "Absolute, canonical path of the file: no ., .. or empty components, no trailing slash (see path_resolved).", e => e.Path)
            .Text("dest_path", "Target of rename and link (canonical, as path) and of symlink (the target as given); empty otherwise.", e => e.DestPath)
            .Integer("path_resolved", ColumnType.Integer, "1: path came whole from a kernel object (the fd's file of fchmod, fchown, ftruncate); 0: the process's text joined to the kernel's walk of its cwd or dirfd and normalised lexically, so symlinks in the text may remain; -1: not known to be canonical (a /proc/<pid>/cwd, root or fd alias the row cannot follow, or a path cut by the kernel's limits).", e => e.PathResolved)
            .Text("flags", "Open flags in symbolic form, for example O_WRONLY|O_CREAT|O_TRUNC.", e => e.Flags)
            .Text("mode", "Mode in octal, for example 0644; empty when the operation has none.", e => e.Mode)
            .NumberAsText("exit_code", "The syscall's return value (a negative errno on failure).", e => e.ExitCode)
            .Integer("inode", ColumnType.BigInt, "Inode number of the file when known, else 0.", e => e.Inode)
            .Integer("owner_uid", ColumnType.BigInt, "New owner uid for chown; -1 otherwise or when unchanged.", e => e.OwnerUid)
            .Integer("owner_gid", ColumnType.BigInt, "New owner gid for chown; -1 otherwise or when unchanged.", e => e.OwnerGid)
            .ProcessIdentity()
            .Text("executable", "The acting process's binary (path is the file here).", e => e.Executable)
            .Text("cwd", "Working directory of the acting process.", e => e.Cwd)
            .Tail()
            .Eid()
            .Build());

    /// <summary>The probe.</summary>
    public static ProbeDefinition Definition { get; } = new()
    {
        Name = "file",
        Tables = [Table],
        // openat2 arrived in Linux 5.6 and fchmodat2 in 6.6; a kernel without those syscalls loses nothing by lacking
        // their tracepoints. Every other hook is as old as the syscall tracepoints. arm64 kernels have only the *at
        // forms of the older path syscalls (its C libraries call those), so there the older forms are optional.
        HookDeclarations =
        [
            new("sys_exit_openat2") { MinimumKernel = "5.6", Optional = true },
            new("sys_exit_fchmodat2") { MinimumKernel = "6.6", Optional = true },
            .. OnlyAtFormsOnArm64("open", "creat", "unlink", "rmdir", "mkdir", "chmod", "chown", "lchown", "rename", "link", "symlink"),
        ],
        SettingsJson = FileSettingsJson.Default.FileSettings,
        DefaultSettings = () => new FileSettings(),
        // The include and exclude prefixes are not handed to file.bpf.c (its prefix counts stay 0): the kernel compares
        // them with the text the process passed, which /tmp/../etc/x or /var/lib/osquery-bpf/../../../etc/x walk
        // around. The decoder applies them to the canonical paths instead (FilePathFilter).
        BuildConstants = settings => [ProbeDefinition.Constant("record_read_opens", ((FileSettings)settings).RecordReadOpens)],
        CreateDecoder = (settings, context) =>
        {
            var file = (FileSettings)settings;
            return new FileRecordDecoder(context.Clock, context.Containers, new FilePathFilter(file.FileIncludePrefixes, file.FileExcludePrefixes));
        },
    };

    private static IEnumerable<HookDeclaration> OnlyAtFormsOnArm64(params string[] syscalls) =>
        syscalls.Select(syscall => new HookDeclaration("sys_exit_" + syscall) { AbsentOn = [Architecture.Arm64] });
}

/// <summary>The file probe's keys in the settings file (README.md here documents them).</summary>
public sealed class FileSettings : ProbeSettings
{
    /// <summary>Most include or exclude prefixes (MAX_PREFIXES in file.bpf.c, which may apply them again some day).</summary>
    public const int MaxPrefixes = 8;

    /// <summary>Longest prefix in UTF-8 bytes (PREFIX_MAX in file.bpf.c).</summary>
    public const int MaxPrefixBytes = 64;

    /// <summary>record_read_opens: also record opens that only read. Default off: they outnumber everything else.</summary>
    public bool RecordReadOpens { get; set; }

    /// <summary>file_include_prefixes: when not empty, keep only operations whose path or destination starts with one of these.</summary>
    public IReadOnlyList<string> FileIncludePrefixes { get; set; } = [];

    /// <summary>file_exclude_prefixes: drop operations whose path starts with one of these.</summary>
    public IReadOnlyList<string> FileExcludePrefixes { get; set; } = [];

    /// <inheritdoc />
    public override void Validate()
    {
        ValidatePrefixes(FileIncludePrefixes, "file_include_prefixes");
        ValidatePrefixes(FileExcludePrefixes, "file_exclude_prefixes");
    }

    private static void ValidatePrefixes(IReadOnlyList<string> prefixes, string name)
    {
        if (prefixes.Count > MaxPrefixes)
            throw new ArgumentException($"{name} has {prefixes.Count} prefixes; at most {MaxPrefixes} are supported.");
        foreach (var prefix in prefixes)
        {
            int bytes = Encoding.UTF8.GetByteCount(prefix);
            if (bytes == 0 || bytes > MaxPrefixBytes)
                throw new ArgumentException($"{name} has the prefix '{prefix}' of {bytes} bytes; prefixes must have 1 to {MaxPrefixBytes} bytes.");
        }
    }
}

/// <summary>Reads <see cref="FileSettings"/> from the settings file: snake_case keys, AOT-clean.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(FileSettings))]
internal sealed partial class FileSettingsJson : JsonSerializerContext;
