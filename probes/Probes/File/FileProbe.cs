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
        "One row per file operation. Opens for reading only are off by default; path include and exclude prefixes are applied in the kernel.",
        isEvented: true,
        typeof(FileEvent),
        new ColumnListBuilder<FileEvent>().Time()
            .Text("action", "open, create, truncate, unlink, rename, mkdir, rmdir, chmod, chown, link or symlink.", e => e.Action)
            .Text("syscall", "The syscall that performed the operation (openat, renameat2, fchmod, ...).", e => e.Syscall)
            .Text("path", "Absolute path of the file, resolved in the kernel.", e => e.Path)
            .Text("dest_path", "Target of rename, link and symlink; empty otherwise.", e => e.DestPath)
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
        BuildConstants = settings =>
        {
            var file = (FileSettings)settings;
            return
            [
                ProbeDefinition.Constant("record_read_opens", file.RecordReadOpens),
                .. Prefixes("include", file.FileIncludePrefixes),
                .. Prefixes("exclude", file.FileExcludePrefixes),
            ];
        },
        CreateDecoder = (_, context) => new FileRecordDecoder(context.Clock, context.Containers),
    };

    private static IEnumerable<HookDeclaration> OnlyAtFormsOnArm64(params string[] syscalls) =>
        syscalls.Select(syscall => new HookDeclaration("sys_exit_" + syscall) { AbsentOn = [Architecture.Arm64] });

    private static IEnumerable<KeyValuePair<string, byte[]>> Prefixes(string which, IReadOnlyList<string> prefixes)
    {
        var lengths = new byte[FileSettings.MaxPrefixes];
        var table = new byte[FileSettings.MaxPrefixes * FileSettings.MaxPrefixBytes];
        for (int i = 0; i < prefixes.Count; i++)
        {
            int n = Encoding.UTF8.GetBytes(prefixes[i], table.AsSpan(i * FileSettings.MaxPrefixBytes, FileSettings.MaxPrefixBytes));
            lengths[i] = (byte)n;
        }
        yield return ProbeDefinition.Constant($"{which}_prefix_count", (uint)prefixes.Count);
        yield return new($"{which}_prefix_lens", lengths);
        yield return new($"{which}_prefixes", table);
    }
}

/// <summary>The file probe's keys in the settings file (README.md here documents them).</summary>
public sealed class FileSettings : ProbeSettings
{
    /// <summary>Most include or exclude prefixes (MAX_PREFIXES in file.bpf.c).</summary>
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
