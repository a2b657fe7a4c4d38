using System.Runtime.InteropServices;
using OsqueryBpf.Containers.Attribution;
using OsqueryBpf.Events;

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

    /// <summary>Fills every <see cref="Event"/> column the header has, the container ones from <paramref name="containers"/>.</summary>
    public static void Fill(Event evt, in EventHeader header, ReadOnlySpan<byte> record, BootClock clock, EscapedText text,
        ContainerMap containers)
    {
        evt.BootTimeNs = header.BootNs;
        evt.Time = clock.ToUnixSeconds(header.BootNs);
        evt.Tid = header.Tid;
        evt.Pid = header.Pid;
        evt.Parent = header.Ppid;
        evt.Uid = header.Uid;
        evt.Gid = header.Gid;
        evt.CgroupId = unchecked((long)header.CgroupId);
        evt.SetContainer(containers.Attribute(header.CgroupId));
        var comm = record.Slice(EventHeader.CommOffset, EventHeader.CommLength);
        int end = comm.IndexOf((byte)0);
        evt.Comm = text.DecodeShort(end < 0 ? comm : comm[..end]);
        evt.ProbeError = (header.Flags & EventHeader.ProbeErrorFlag) != 0;
    }
}
