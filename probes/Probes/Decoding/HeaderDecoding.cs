using System.Runtime.InteropServices;
using OsqueryBpf.Events;
using OsqueryBpf.Probes.Records;

namespace OsqueryBpf.Probes.Decoding;

/// <summary>Fills the common event columns from <see cref="EventHeader"/>.</summary>
internal static class HeaderDecoding
{
    /// <summary>Reads the header, or returns false when the record is shorter than it.</summary>
    public static bool TryRead(ReadOnlySpan<byte> record, out EventHeader header)
    {
        if (record.Length < EventHeader.Size)
        {
            header = default;
            return false;
        }
        header = MemoryMarshal.Read<EventHeader>(record);
        return true;
    }

    public static void Fill(Event evt, in EventHeader header, ReadOnlySpan<byte> record, BootClock clock, EscapedText text)
    {
        evt.BootTimeNs = header.BootNs;
        evt.Time = clock.ToUnixSeconds(header.BootNs);
        evt.Tid = header.Tid;
        evt.Pid = header.Pid;
        evt.Parent = header.Ppid;
        evt.Uid = header.Uid;
        evt.Gid = header.Gid;
        evt.CgroupId = unchecked((long)header.CgroupId);
        // TODO(container id): needs the cgroup id -> cgroup path mapping (the id is the cgroup
        // directory's inode under /sys/fs/cgroup); ContainerIds.FromCgroupPath parses the path once known.
        evt.ContainerId = "";
        var comm = record.Slice(EventHeader.CommOffset, EventHeader.CommLength);
        int end = comm.IndexOf((byte)0);
        evt.Comm = text.Decode(end < 0 ? comm : comm[..end]);
        evt.ProbeError = (header.Flags & EventHeader.ProbeErrorFlag) != 0;
    }
}
