using System.Buffers.Binary;
using System.Text;

namespace OsqueryBpf.Containers.Cgroups;

/// <summary>
/// Decodes <c>struct cgroup_record</c> (probes/bpf/cgroup.bpf.c): the 72-byte <c>event_header</c> of
/// common.h, then the fixed part below, then <c>path_len</c> bytes of path. Little-endian. Pure: no I/O.
/// </summary>
public static class CgroupRecordDecoder
{
    /// <summary>Bytes before the path (CGROUP_RECORD_FIXED_SIZE).</summary>
    public const int FixedSize = 112;

    /// <summary>Largest path the probe sends (CGROUP_PATH_CAP - 1).</summary>
    public const int MaxPathLength = 1023;

    // event_header (common.h)
    internal const int KindOffset = 0;
    internal const int FlagsOffset = 2;
    internal const int SizeOffset = 4;
    internal const int BootNsOffset = 8;
    internal const int TidOffset = 16;
    internal const int PidOffset = 20;
    internal const int UidOffset = 28;
    internal const int EuidOffset = 36;
    internal const int ActorCgroupIdOffset = 48;
    internal const int CommOffset = 56;
    internal const int CommLength = 16;
    internal const ushort ProbeErrorFlag = 0x0001;

    // struct cgroup_record after the header
    internal const int CgroupIdOffset = 72;
    internal const int HierarchyIdOffset = 80;
    internal const int LevelOffset = 84;
    internal const int OwnerUidOffset = 88;
    internal const int TaskTidOffset = 92;
    internal const int TaskPidOffset = 96;
    internal const int TaskMountNamespaceOffset = 100;
    internal const int ActorMountNamespaceOffset = 104;
    internal const int PathLengthOffset = 108;
    internal const int ThreadGroupOffset = 110;

    /// <summary>
    /// Decodes one record. False, with the reason in <paramref name="error"/>, for a record that is too short,
    /// of another kind, or whose lengths disagree; such a record must be counted as malformed, not guessed at.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> record, out CgroupEvent? evt, out string? error)
    {
        evt = null;
        if (record.Length < FixedSize)
        {
            error = $"cgroup record of {record.Length} bytes is shorter than its fixed part ({FixedSize})";
            return false;
        }
        ushort kind = U16(record, KindOffset);
        if (kind is < (ushort)CgroupRecordKind.Mkdir or > (ushort)CgroupRecordKind.AttachTask)
        {
            error = $"record kind {kind} is not a cgroup record (64..67)";
            return false;
        }
        uint size = U32(record, SizeOffset);
        int pathLength = U16(record, PathLengthOffset);
        if (pathLength > MaxPathLength || size != FixedSize + pathLength || record.Length < size)
        {
            error = $"cgroup record says {size} bytes with a {pathLength}-byte path but {record.Length} bytes arrived";
            return false;
        }
        ushort flags = U16(record, FlagsOffset);
        var path = Encoding.UTF8.GetString(record.Slice(FixedSize, pathLength));
        var comm = record.Slice(CommOffset, CommLength);
        int nul = comm.IndexOf((byte)0);
        evt = new CgroupEvent(
            Kind: (CgroupRecordKind)kind,
            BootNs: U64(record, BootNsOffset),
            CgroupId: U64(record, CgroupIdOffset),
            HierarchyId: U32(record, HierarchyIdOffset),
            Level: U32(record, LevelOffset),
            Path: path,
            PathMayBeCut: (flags & ProbeErrorFlag) != 0,
            OwnerUid: U32(record, OwnerUidOffset),
            ActorPid: U32(record, PidOffset),
            ActorTid: U32(record, TidOffset),
            ActorUid: U32(record, UidOffset),
            ActorEuid: U32(record, EuidOffset),
            ActorComm: Encoding.UTF8.GetString(nul >= 0 ? comm[..nul] : comm),
            ActorCgroupId: U64(record, ActorCgroupIdOffset),
            ActorMountNamespace: U32(record, ActorMountNamespaceOffset),
            TaskPid: U32(record, TaskPidOffset),
            TaskTid: U32(record, TaskTidOffset),
            TaskMountNamespace: U32(record, TaskMountNamespaceOffset),
            ThreadGroup: record[ThreadGroupOffset] != 0);
        error = null;
        return true;
    }

    private static ushort U16(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(b[offset..]);

    private static uint U32(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(b[offset..]);

    private static ulong U64(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(b[offset..]);
}
