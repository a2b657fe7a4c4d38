using System.Buffers.Binary;
using System.Net;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>
/// Builds socket.bpf.c and dns.bpf.c records byte by byte at the C structs' offsets, independently of the C#
/// layout structs, so the decoder tests check those too.
/// </summary>
internal static class NetRecordBuilder
{
    public sealed class SocketFields
    {
        public long Ret;
        public ulong DurationNs = 12_345;
        public int Fd = 7;
        public ushort Family = 2, Type = 1, Protocol = 6;
        public ushort LocalPort, RemotePort;
        public byte Action = 1, Syscall = 1;
        public IPAddress Local = IPAddress.Any, Remote = IPAddress.Any;
        public byte[] Exe = "/usr/bin/curl"u8.ToArray();
    }

    public static byte[] Socket(RecordBuilder.Header h, SocketFields f)
    {
        h.Kind = 32;
        int size = 144 + f.Exe.Length;
        var record = new byte[size];
        RecordBuilder.WriteHeader(record, h, size);
        var s = record.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(s[72..], f.Ret);
        BinaryPrimitives.WriteUInt64LittleEndian(s[80..], f.DurationNs);
        BinaryPrimitives.WriteInt32LittleEndian(s[88..], f.Fd);
        BinaryPrimitives.WriteUInt16LittleEndian(s[92..], f.Family);
        BinaryPrimitives.WriteUInt16LittleEndian(s[94..], f.Type);
        BinaryPrimitives.WriteUInt16LittleEndian(s[96..], f.Protocol);
        BinaryPrimitives.WriteUInt16LittleEndian(s[98..], f.LocalPort);
        BinaryPrimitives.WriteUInt16LittleEndian(s[100..], f.RemotePort);
        s[102] = f.Action;
        s[103] = f.Syscall;
        f.Local.GetAddressBytes().CopyTo(s[104..]);
        f.Remote.GetAddressBytes().CopyTo(s[120..]);
        BinaryPrimitives.WriteUInt16LittleEndian(s[136..], (ushort)f.Exe.Length);
        f.Exe.CopyTo(s[144..]);
        return record;
    }

    public sealed class DnsFields
    {
        public uint ServerPid, ServerTid;
        public byte[] ServerComm = "dnsmasq"u8.ToArray();
        public IPAddress Source = IPAddress.Loopback, Destination = IPAddress.Loopback;
        public ushort SourcePort = 40000, DestinationPort = 53;
        public byte Family = 2, Protocol = 17, Direction = 3, ClientSource = 2, ServerSource = 1, TcpFlags;
        public uint InterfaceIndex = 1, TcpSequence;
        public byte[] Payload = [];
        public uint? PayloadLength;
    }

    public static byte[] Dns(RecordBuilder.Header h, DnsFields f)
    {
        h.Kind = 48;
        int size = 160 + f.Payload.Length;
        var record = new byte[size];
        RecordBuilder.WriteHeader(record, h, size);
        var s = record.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s[72..], f.ServerPid);
        BinaryPrimitives.WriteUInt32LittleEndian(s[76..], f.ServerTid);
        f.ServerComm.AsSpan(0, Math.Min(15, f.ServerComm.Length)).CopyTo(s[80..96]);
        f.Source.GetAddressBytes().CopyTo(s[96..]);
        f.Destination.GetAddressBytes().CopyTo(s[112..]);
        BinaryPrimitives.WriteUInt16LittleEndian(s[128..], f.SourcePort);
        BinaryPrimitives.WriteUInt16LittleEndian(s[130..], f.DestinationPort);
        s[132] = f.Family;
        s[133] = f.Protocol;
        s[134] = f.Direction;
        s[135] = f.ClientSource;
        s[136] = f.ServerSource;
        s[137] = f.TcpFlags;
        BinaryPrimitives.WriteUInt32LittleEndian(s[140..], f.InterfaceIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(s[144..], f.TcpSequence);
        BinaryPrimitives.WriteUInt32LittleEndian(s[148..], f.PayloadLength ?? (uint)f.Payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(s[152..], (uint)f.Payload.Length);
        f.Payload.CopyTo(s[160..]);
        return record;
    }
}
