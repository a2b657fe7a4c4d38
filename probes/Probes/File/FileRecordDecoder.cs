using OsqueryBpf.Containers.Attribution;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using OsqueryBpf.Events;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.Probes.Runtime;

namespace OsqueryBpf.Probes;

/// <summary>Decodes file.bpf.c records into <see cref="FileEvent"/>s.</summary>
/// <remarks>
/// <para><see cref="FileEvent.Path"/> is the absolute path resolved in the kernel; a path that starts without
/// '/' was cut by the kernel's walk limits (and <see cref="Event.ProbeError"/> is set).</para>
/// <para>rename and link: Path is the existing name, DestPath the new one. symlink: Path is the new link
/// (resolved), DestPath the target text exactly as given (a symlink's target is not resolved).</para>
/// <para><see cref="FileEvent.Cwd"/> is filled when the path was relative to the process's cwd (the kernel
/// walked it for the path anyway); otherwise it is empty, to keep the per-operation cost down.</para>
/// <para><see cref="FileEvent.Flags"/>: open flags (open, openat, openat2, creat) or AT_*/RENAME_* flags.</para>
/// </remarks>
public sealed class FileRecordDecoder : IRecordDecoder
{
    private static readonly string[] ActionNames =
        ["", "open", "create", "truncate", "unlink", "rename", "mkdir", "rmdir", "chmod", "chown", "link", "symlink"];

    private static readonly string[] SyscallNames =
    [
        "", "openat", "openat2", "open", "creat", "truncate", "ftruncate", "unlink", "unlinkat", "rename", "renameat",
        "renameat2", "mkdir", "mkdirat", "rmdir", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "lchown",
        "fchown", "fchownat", "link", "linkat", "symlink", "symlinkat",
    ];

    private readonly BootClock _clock;
    private readonly EscapedText _text = new();
    private readonly ContainerMap _containers;
    private readonly Dictionary<(ushort Syscall, uint Flags), string> _flagTexts = new(); // few distinct values
    private readonly RecentTexts _executables;
    private readonly RecentTexts _directories;

    /// <summary>
    /// A decoder converting times with <paramref name="clock"/> and naming containers with <paramref name="containers"/>.
    /// </summary>
    public FileRecordDecoder(BootClock clock, ContainerMap? containers = null)
    {
        _clock = clock;
        _containers = containers ?? new ContainerMap(); // alone (tests, tools): walks cgroupfs
        _executables = new RecentTexts(_text);
        _directories = new RecentTexts(_text);
    }

    /// <inheritdoc />
    public bool TryDecode(ReadOnlySpan<byte> record, [NotNullWhen(true)] out Event? evt, [NotNullWhen(false)] out string? error)
    {
        evt = null;
        if (!HeaderDecoding.TryRead(record, out var header))
        {
            error = $"A file record of {record.Length} bytes is shorter than the {EventHeader.Size}-byte header.";
            return false;
        }
        if ((RecordKind)header.Kind != RecordKind.File)
        {
            error = $"A file record has kind {header.Kind} instead of {(int)RecordKind.File}.";
            return false;
        }
        if (record.Length < FileRecordLayout.FixedSize || header.RecordSize > record.Length)
        {
            error = $"A file record of {record.Length} bytes (header says {header.RecordSize}) is shorter than its {FileRecordLayout.FixedSize}-byte fixed part or its stated size.";
            return false;
        }
        var fixedPart = MemoryMarshal.Read<FileRecordLayout>(record);
        var data = record[FileRecordLayout.FixedSize..];
        int needed = fixedPart.PathLength + fixedPart.DestLength + fixedPart.ExeLength;
        if (needed > data.Length || fixedPart.PathDirLength > fixedPart.PathLength)
        {
            error = $"A file record's path, destination and executable need {needed} bytes but only {data.Length} follow its fixed part.";
            return false;
        }
        if (fixedPart.Action == 0 || fixedPart.Action >= ActionNames.Length ||
            fixedPart.Syscall == 0 || fixedPart.Syscall >= SyscallNames.Length)
        {
            error = $"A file record has action {fixedPart.Action} and syscall {fixedPart.Syscall}, which this decoder does not know.";
            return false;
        }

        var path = data[..fixedPart.PathLength];
        var dest = data.Slice(fixedPart.PathLength, fixedPart.DestLength);
        var exe = data.Slice(fixedPart.PathLength + fixedPart.DestLength, fixedPart.ExeLength);

        var file = new FileEvent();
        HeaderDecoding.Fill(file, header, record, _clock, _text, _containers);
        file.Action = ActionNames[fixedPart.Action];
        file.Syscall = SyscallNames[fixedPart.Syscall];
        file.Path = _text.Decode(path);
        file.DestPath = _text.Decode(dest);
        file.Executable = _executables.Get(exe);
        if ((fixedPart.Info & FileRecordLayout.InfoPathFromCwd) != 0 && fixedPart.PathDirLength > 0)
            file.Cwd = _directories.Get(path[..fixedPart.PathDirLength]);
        file.Flags = CachedFlags(fixedPart.Syscall, fixedPart.Flags);
        file.Mode = (fixedPart.Info & FileRecordLayout.InfoHasMode) != 0 ? ModeText.Format(fixedPart.Mode) : "";
        file.ExitCode = fixedPart.Ret;
        file.Inode = unchecked((long)fixedPart.Inode);
        if ((fixedPart.Info & FileRecordLayout.InfoHasOwner) != 0)
        {
            file.OwnerUid = fixedPart.OwnerUid == uint.MaxValue ? -1 : fixedPart.OwnerUid;
            file.OwnerGid = fixedPart.OwnerGid == uint.MaxValue ? -1 : fixedPart.OwnerGid;
        }
        evt = file;
        error = null;
        return true;
    }

    private string CachedFlags(ushort syscall, uint flags)
    {
        // Flags text depends only on which family the syscall is in; key on the syscall for simplicity.
        if (_flagTexts.TryGetValue((syscall, flags), out var text))
            return text;
        if (_flagTexts.Count >= 1024)
            _flagTexts.Clear();
        text = FormatFlags((FileSyscall)syscall, flags);
        _flagTexts[(syscall, flags)] = text;
        return text;
    }

    internal static string FormatFlags(FileSyscall syscall, uint flags) => syscall switch
    {
        FileSyscall.Open or FileSyscall.Openat or FileSyscall.Openat2 or FileSyscall.Creat => OpenFlagsText.FormatOpen(flags),
        FileSyscall.Renameat2 => OpenFlagsText.FormatRename(flags),
        _ => OpenFlagsText.FormatAt(flags),
    };
}
