using OsqueryBpf.Containers.Attribution;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using OsqueryBpf.Events;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.Probes.Runtime;

namespace OsqueryBpf.Probes;

/// <summary>Decodes file.bpf.c records into <see cref="FileEvent"/>s.</summary>
/// <remarks>
/// <para><see cref="FileEvent.Path"/> is absolute and canonical (<see cref="CanonicalPath"/>): the kernel joins a
/// relative name to the dentry walk of its cwd or dirfd, and this removes the '.', '..' and empty components the
/// process's text may carry. <see cref="FileEvent.PathResolved"/> says whether the path came whole from a kernel
/// object (fchmod, fchown, ftruncate: the fd's file) or was normalised lexically (symlinks in the text may remain).
/// A path that starts without '/' was cut by the kernel's walk limits (and <see cref="Event.ProbeError"/> is set).</para>
/// <para>As an <see cref="IMultiEventDecoder"/> (how the probe's reader uses it) it also applies
/// <see cref="FilePathFilter"/>, the include and exclude prefixes, to the canonical paths.</para>
/// <para>rename and link: Path is the existing name, DestPath the new one. symlink: Path is the new link
/// (resolved), DestPath the target text exactly as given (a symlink's target is not resolved).</para>
/// <para><see cref="FileEvent.Cwd"/> is filled when the path was relative to the process's cwd (the kernel
/// walked it for the path anyway); otherwise it is empty, to keep the per-operation cost down.</para>
/// <para><see cref="FileEvent.Flags"/>: open flags (open, openat, openat2, creat) or AT_*/RENAME_* flags.</para>
/// </remarks>
public sealed class FileRecordDecoder : IRecordDecoder, IMultiEventDecoder
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
    private readonly FilePathFilter? _filter;

    /// <summary>
    /// A decoder converting times with <paramref name="clock"/>, naming containers with <paramref name="containers"/>
    /// and, in <see cref="Decode"/>, keeping only what <paramref name="filter"/> keeps (everything when null).
    /// </summary>
    public FileRecordDecoder(BootClock clock, ContainerMap? containers = null, FilePathFilter? filter = null)
    {
        _clock = clock;
        _filter = filter is { KeepsAll: false } ? filter : null;
        _containers = containers ?? new ContainerMap(); // alone (tests, tools): walks cgroupfs
        _executables = new RecentTexts(_text);
        _directories = new RecentTexts(_text);
    }

    /// <summary>Operations the filter did not keep (file_include_prefixes, file_exclude_prefixes).</summary>
    public long FilteredOut { get; private set; }

    /// <inheritdoc />
    public string? Decode(ReadOnlySpan<byte> record, List<Event> events)
    {
        if (!TryDecode(record, out var evt, out var error))
            return error;
        var file = (FileEvent)evt;
        if (_filter is null || _filter.Keeps(file.Path, FilterDestination(file), file.PathResolved < 0))
            events.Add(evt);
        else
            FilteredOut++;
        return null;
    }

    /// <summary>
    /// The destination as the filter sees it: a symlink's target (stored as given) made absolute from the link's
    /// folder and normalised, so a link pointing into an included folder is kept.
    /// </summary>
    private static string FilterDestination(FileEvent file)
    {
        if (file.Action != "symlink" || file.DestPath.Length == 0)
            return file.DestPath;
        var target = file.DestPath[0] == '/' ? file.DestPath : file.Path[..(file.Path.LastIndexOf('/') + 1)] + file.DestPath;
        return CanonicalPath.Normalize(target).Path;
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
        file.Executable = _executables.Get(exe);
        if ((fixedPart.Info & FileRecordLayout.InfoPathFromCwd) != 0 && fixedPart.PathDirLength > 0)
            file.Cwd = _directories.Get(path[..fixedPart.PathDirLength]);
        // fchmod, fchown and ftruncate name the fd's file: a dentry walk, canonical and free of symlinks. Every other
        // path is (a walked base plus) the process's text, made canonical here.
        var fromFile = (FileSyscall)fixedPart.Syscall is FileSyscall.Fchmod or FileSyscall.Fchown or FileSyscall.Ftruncate;
        var (canonical, unresolved) = CanonicalPath.Normalize(_text.Decode(path), file.Pid, file.Tid, file.Cwd);
        file.Path = canonical;
        if ((fixedPart.Info & FileRecordLayout.InfoDestVerbatim) != 0)
        {
            file.DestPath = _text.Decode(dest); // a symlink's target, as given: it is only text until followed
        }
        else
        {
            var (canonicalDest, destUnresolved) = CanonicalPath.Normalize(_text.Decode(dest), file.Pid, file.Tid, file.Cwd);
            file.DestPath = canonicalDest;
            unresolved |= destUnresolved;
        }
        unresolved |= file.Path.Length > 0 && file.Path[0] != '/'; // cut by the kernel's limits
        file.PathResolved = unresolved ? -1 : fromFile && fixedPart.DestLength == 0 ? 1 : 0;
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
