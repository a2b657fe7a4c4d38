using OsqueryBpf.Events;

namespace OsqueryBpf.Probes;

/// <summary>One file operation: a row of <c>ebpf_file_events</c>.</summary>
public sealed class FileEvent : Event
{
    /// <summary>open, create, truncate, unlink, rename, mkdir, rmdir, chmod, chown, link or symlink.</summary>
    public string Action { get; set; } = "";

    /// <summary>The syscall that performed the operation (openat, renameat2, fchmod, ...).</summary>
    public string Syscall { get; set; } = "";

    /// <summary>Absolute, canonical path of the file (see <see cref="PathResolved"/>).</summary>
    public string Path { get; set; } = "";

    /// <summary>Target of rename, link and symlink; empty otherwise.</summary>
    public string DestPath { get; set; } = "";

    /// <summary>
    /// 1: path came whole from a kernel object; 0: normalised lexically from the process's text (symlinks may
    /// remain); -1: not known to be canonical (a procfs alias the row cannot follow, or cut by the kernel's limits).
    /// </summary>
    public long PathResolved { get; set; }

    /// <summary>Open flags in symbolic form, for example <c>O_WRONLY|O_CREAT|O_TRUNC</c>.</summary>
    public string Flags { get; set; } = "";

    /// <summary>Mode in octal text such as <c>0644</c>, empty when the operation has none.</summary>
    public string Mode { get; set; } = "";

    /// <summary>The syscall's return value (a negative errno on failure).</summary>
    public long ExitCode { get; set; }

    /// <summary>Inode number of the file when known, else 0.</summary>
    public long Inode { get; set; }

    /// <summary>The acting process's binary.</summary>
    public string Executable { get; set; } = "";

    /// <summary>Working directory of the acting process.</summary>
    public string Cwd { get; set; } = "";

    /// <summary>Owner uid for chown, -1 otherwise or when unchanged.</summary>
    public long OwnerUid { get; set; } = -1;

    /// <summary>Owner gid for chown, -1 otherwise or when unchanged.</summary>
    public long OwnerGid { get; set; } = -1;
}
