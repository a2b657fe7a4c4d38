using System.Runtime.InteropServices;

namespace OsqueryBpf.Probes.Decoding;

/// <summary>
/// Mirror of <c>struct event_header</c> (probes/bpf/include/common.h): the first 72 bytes of every ring
/// record, little-endian. Offsets are checked against the compiled objects' BTF by the layout tests.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public readonly struct EventHeader
{
    /// <summary>Bytes in the header.</summary>
    public const int Size = 72;

    /// <summary>Offset of <c>comm</c>, 16 bytes, NUL-padded.</summary>
    public const int CommOffset = 56;

    /// <summary>Bytes of <c>comm</c> (TASK_COMM_LEN).</summary>
    public const int CommLength = 16;

    /// <summary>Set in <see cref="Flags"/> when a field could not be read completely.</summary>
    public const ushort ProbeErrorFlag = 0x0001;

    /// <summary>The record kind.</summary>
    [FieldOffset(0)] public readonly ushort Kind;

    /// <summary>EVENT_FLAG_* bits.</summary>
    [FieldOffset(2)] public readonly ushort Flags;

    /// <summary>Bytes in the whole record, header included.</summary>
    [FieldOffset(4)] public readonly uint RecordSize;

    /// <summary>bpf_ktime_get_boot_ns() when the record was made.</summary>
    [FieldOffset(8)] public readonly ulong BootNs;

    /// <summary>Thread id (task->pid).</summary>
    [FieldOffset(16)] public readonly uint Tid;

    /// <summary>Process id (task->tgid).</summary>
    [FieldOffset(20)] public readonly uint Pid;

    /// <summary>Parent process id (task->real_parent->tgid).</summary>
    [FieldOffset(24)] public readonly uint Ppid;

    /// <summary>Real uid.</summary>
    [FieldOffset(28)] public readonly uint Uid;

    /// <summary>Real gid.</summary>
    [FieldOffset(32)] public readonly uint Gid;

    /// <summary>Effective uid.</summary>
    [FieldOffset(36)] public readonly uint Euid;

    /// <summary>Effective gid.</summary>
    [FieldOffset(40)] public readonly uint Egid;

    /// <summary>Login uid (4294967295 when unset).</summary>
    [FieldOffset(44)] public readonly uint Auid;

    /// <summary>cgroup v2 id.</summary>
    [FieldOffset(48)] public readonly ulong CgroupId;
}
