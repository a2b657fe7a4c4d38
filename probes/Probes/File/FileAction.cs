namespace OsqueryBpf.Probes;

/// <summary><c>enum file_action</c> (probes/bpf/file.bpf.c); the <c>action</c> column is the lower-case name.</summary>
public enum FileAction : byte
{
    /// <summary>An open for writing (or any open when reads are recorded).</summary>
    Open = 1,
    /// <summary>An open with O_CREAT or O_TMPFILE, or creat().</summary>
    Create = 2,
    /// <summary>truncate, ftruncate, or an open with O_TRUNC.</summary>
    Truncate = 3,
    /// <summary>unlink, unlinkat.</summary>
    Unlink = 4,
    /// <summary>rename, renameat, renameat2.</summary>
    Rename = 5,
    /// <summary>mkdir, mkdirat.</summary>
    Mkdir = 6,
    /// <summary>rmdir, unlinkat with AT_REMOVEDIR.</summary>
    Rmdir = 7,
    /// <summary>chmod family.</summary>
    Chmod = 8,
    /// <summary>chown family.</summary>
    Chown = 9,
    /// <summary>link, linkat.</summary>
    Link = 10,
    /// <summary>symlink, symlinkat.</summary>
    Symlink = 11,
}
