using System.Runtime.InteropServices;
using OsqueryBpf.Probes.Decoding;

namespace OsqueryBpf.Probes;

/// <summary>
/// Mirror of the fixed part of <c>struct file_record</c> (probes/bpf/file.bpf.c). After it, in order:
/// path (<see cref="PathLength"/> bytes), destination (<see cref="DestLength"/>), executable
/// (<see cref="ExeLength"/>); no NULs between them.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = FixedSize)]
public readonly struct FileRecordLayout
{
    /// <summary>Bytes before the data area (FILE_RECORD_FIXED_SIZE).</summary>
    public const int FixedSize = 120;

    /// <summary>FILE_INFO_HAS_MODE: <see cref="Mode"/> is meaningful.</summary>
    public const byte InfoHasMode = 0x01;

    /// <summary>FILE_INFO_HAS_OWNER: the owner fields are meaningful.</summary>
    public const byte InfoHasOwner = 0x02;

    /// <summary>FILE_INFO_PATH_FROM_CWD: the first <see cref="PathDirLength"/> bytes of the path are the cwd.</summary>
    public const byte InfoPathFromCwd = 0x04;

    /// <summary>FILE_INFO_DEST_VERBATIM: the destination is a symlink target as given.</summary>
    public const byte InfoDestVerbatim = 0x08;

    /// <summary>The common header.</summary>
    [FieldOffset(0)] public readonly EventHeader Header;

    /// <summary>The syscall's return value.</summary>
    [FieldOffset(72)] public readonly long Ret;

    /// <summary>Inode number, 0 when unknown.</summary>
    [FieldOffset(80)] public readonly ulong Inode;

    /// <summary>Open flags (open family) or the AT_*/RENAME_* flags argument.</summary>
    [FieldOffset(88)] public readonly uint Flags;

    /// <summary>The mode argument when <see cref="InfoHasMode"/>.</summary>
    [FieldOffset(92)] public readonly uint Mode;

    /// <summary>New owner uid (chown family), 0xffffffff for unchanged.</summary>
    [FieldOffset(96)] public readonly uint OwnerUid;

    /// <summary>New owner gid (chown family), 0xffffffff for unchanged.</summary>
    [FieldOffset(100)] public readonly uint OwnerGid;

    /// <summary><see cref="FileSyscall"/>.</summary>
    [FieldOffset(104)] public readonly ushort Syscall;

    /// <summary><see cref="FileAction"/>.</summary>
    [FieldOffset(106)] public readonly byte Action;

    /// <summary>FILE_INFO_* bits.</summary>
    [FieldOffset(107)] public readonly byte Info;

    /// <summary>Bytes of the path.</summary>
    [FieldOffset(108)] public readonly ushort PathLength;

    /// <summary>Bytes at the start of the path that came from a dentry walk (cwd or dirfd).</summary>
    [FieldOffset(110)] public readonly ushort PathDirLength;

    /// <summary>Bytes of the destination.</summary>
    [FieldOffset(112)] public readonly ushort DestLength;

    /// <summary>Bytes of the executable's path.</summary>
    [FieldOffset(114)] public readonly ushort ExeLength;
}
