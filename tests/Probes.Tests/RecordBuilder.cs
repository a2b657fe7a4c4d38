using System.Buffers.Binary;
using System.Text;

namespace OsqueryBpf.Probes.Tests;

/// <summary>
/// Builds ring records byte by byte at the offsets of the C structs (common.h, process.bpf.c, file.bpf.c),
/// independently of the C# layout structs, so decoder tests also check those.
/// </summary>
internal static class RecordBuilder
{
    public sealed class Header
    {
        public ushort Kind;
        public ushort Flags;
        public ulong BootNs = 5_000_000_000;
        public uint Tid = 101, Pid = 100, Ppid = 1, Uid = 1000, Gid = 1001, Euid = 1002, Egid = 1003, Auid = 1004;
        public ulong CgroupId = 0x1_0000_0001;
        public byte[] Comm = Encoding.UTF8.GetBytes("comm");
    }

    public static void WriteHeader(Span<byte> record, Header h, int size)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(record, h.Kind);
        BinaryPrimitives.WriteUInt16LittleEndian(record[2..], h.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)size);
        BinaryPrimitives.WriteUInt64LittleEndian(record[8..], h.BootNs);
        uint[] ids = [h.Tid, h.Pid, h.Ppid, h.Uid, h.Gid, h.Euid, h.Egid, h.Auid];
        for (int i = 0; i < ids.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(record[(16 + 4 * i)..], ids[i]);
        BinaryPrimitives.WriteUInt64LittleEndian(record[48..], h.CgroupId);
        h.Comm.AsSpan(0, Math.Min(15, h.Comm.Length)).CopyTo(record[56..72]);
    }

    public static byte[] Exec(Header h, long ret, ulong durationNs, ushort syscall, byte[] path, byte[] cwd, byte[] argv,
        uint info = 0, ushort argc = 0)
    {
        h.Kind = 1;
        int size = 104 + path.Length + cwd.Length + argv.Length;
        var record = new byte[size];
        WriteHeader(record, h, size);
        var span = record.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(span[72..], ret);
        BinaryPrimitives.WriteUInt64LittleEndian(span[80..], durationNs);
        BinaryPrimitives.WriteUInt16LittleEndian(span[88..], syscall);
        BinaryPrimitives.WriteUInt16LittleEndian(span[90..], argc);
        BinaryPrimitives.WriteUInt16LittleEndian(span[92..], (ushort)path.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[94..], (ushort)cwd.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[96..], (uint)argv.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[100..], info);
        path.CopyTo(span[104..]);
        cwd.CopyTo(span[(104 + path.Length)..]);
        argv.CopyTo(span[(104 + path.Length + cwd.Length)..]);
        return record;
    }

    public static byte[] Exit(Header h, long status, ulong lifetimeNs)
    {
        h.Kind = 2;
        var record = new byte[88];
        WriteHeader(record, h, 88);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(72), status);
        BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(80), lifetimeNs);
        return record;
    }

    public static byte[] Fork(Header h)
    {
        h.Kind = 3;
        var record = new byte[80];
        WriteHeader(record, h, 80);
        return record;
    }

    public sealed class FileFields
    {
        public long Ret;
        public ulong Inode;
        public uint Flags, Mode;
        public uint OwnerUid = uint.MaxValue, OwnerGid = uint.MaxValue;
        public ushort Syscall = 1;
        public byte Action = 1;
        public byte Info;
        public byte[] Path = [];
        public ushort PathDirLength;
        public byte[] Dest = [];
        public byte[] Exe = [];
    }

    public static byte[] File(Header h, FileFields f)
    {
        h.Kind = 16;
        int size = 120 + f.Path.Length + f.Dest.Length + f.Exe.Length;
        var record = new byte[size];
        WriteHeader(record, h, size);
        var span = record.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(span[72..], f.Ret);
        BinaryPrimitives.WriteUInt64LittleEndian(span[80..], f.Inode);
        BinaryPrimitives.WriteUInt32LittleEndian(span[88..], f.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(span[92..], f.Mode);
        BinaryPrimitives.WriteUInt32LittleEndian(span[96..], f.OwnerUid);
        BinaryPrimitives.WriteUInt32LittleEndian(span[100..], f.OwnerGid);
        BinaryPrimitives.WriteUInt16LittleEndian(span[104..], f.Syscall);
        span[106] = f.Action;
        span[107] = f.Info;
        BinaryPrimitives.WriteUInt16LittleEndian(span[108..], (ushort)f.Path.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[110..], f.PathDirLength);
        BinaryPrimitives.WriteUInt16LittleEndian(span[112..], (ushort)f.Dest.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[114..], (ushort)f.Exe.Length);
        f.Path.CopyTo(span[120..]);
        f.Dest.CopyTo(span[(120 + f.Path.Length)..]);
        f.Exe.CopyTo(span[(120 + f.Path.Length + f.Dest.Length)..]);
        return record;
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Arguments each followed by NUL, as the kernel lays out argv.</summary>
    public static byte[] Argv(params byte[][] args) => args.SelectMany(a => a.Append((byte)0)).ToArray();
}
