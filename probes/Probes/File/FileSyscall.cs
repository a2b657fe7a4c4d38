namespace OsqueryBpf.Probes;

/// <summary><c>enum file_syscall</c> (probes/bpf/file.bpf.c); the <c>syscall</c> column is the lower-case name.</summary>
public enum FileSyscall : ushort
{
#pragma warning disable CS1591 // the names are the syscalls'
    Openat = 1,
    Openat2 = 2,
    Open = 3,
    Creat = 4,
    Truncate = 5,
    Ftruncate = 6,
    Unlink = 7,
    Unlinkat = 8,
    Rename = 9,
    Renameat = 10,
    Renameat2 = 11,
    Mkdir = 12,
    Mkdirat = 13,
    Rmdir = 14,
    Chmod = 15,
    Fchmod = 16,
    Fchmodat = 17,
    Fchmodat2 = 18,
    Chown = 19,
    Lchown = 20,
    Fchown = 21,
    Fchownat = 22,
    Link = 23,
    Linkat = 24,
    Symlink = 25,
    Symlinkat = 26,
#pragma warning restore CS1591
}
