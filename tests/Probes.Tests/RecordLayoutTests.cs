using System.Runtime.InteropServices;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.Probes.Runtime;
using Xunit;

namespace OsqueryBpf.Probes.Tests;

/// <summary>
/// The C# record layouts against the BTF of the compiled objects: every mirrored field must sit at the
/// C struct's offset. exit_record and fork_record are not in BTF (only ring-reserved, never a map value);
/// process.bpf.c checks their sizes with _Static_assert and <see cref="Fixed_record_sizes_match_the_C_asserts"/>
/// checks the C# side.
/// </summary>
public sealed class RecordLayoutTests
{
    private static readonly (string C, string CSharp)[] HeaderFields =
    [
        ("kind", "Kind"), ("flags", "Flags"), ("size", "RecordSize"), ("boot_ns", "BootNs"), ("tid", "Tid"),
        ("pid", "Pid"), ("ppid", "Ppid"), ("uid", "Uid"), ("gid", "Gid"), ("euid", "Euid"), ("egid", "Egid"),
        ("auid", "Auid"), ("cgroup_id", "CgroupId"),
    ];

    private static readonly (string C, string CSharp)[] ExecFields =
    [
        ("ret", "Ret"), ("duration_ns", "DurationNs"), ("syscall", "Syscall"), ("argc", "Argc"),
        ("path_len", "PathLength"), ("cwd_len", "CwdLength"), ("argv_len", "ArgvLength"), ("info", "Info"),
    ];

    private static readonly (string C, string CSharp)[] FileFields =
    [
        ("ret", "Ret"), ("inode", "Inode"), ("flags", "Flags"), ("mode", "Mode"), ("owner_uid", "OwnerUid"),
        ("owner_gid", "OwnerGid"), ("syscall", "Syscall"), ("action", "Action"), ("info", "Info"),
        ("path_len", "PathLength"), ("path_dir_len", "PathDirLength"), ("dest_len", "DestLength"), ("exe_len", "ExeLength"),
    ];

    private static BtfSpec Btf(ProbeDefinition probe) =>
        CollectionSpec.Parse(probe.ReadObject()).Btf ?? throw new InvalidOperationException($"{probe.ObjectResource} has no BTF.");

    [Fact]
    public void Event_header_matches_btf()
    {
        foreach (var probe in ProbeCatalog.All)
        {
            var btf = Btf(probe);
            Assert.True(btf.TryFindType("event_header", BtfKind.Struct, out var id));
            Assert.Equal((uint)EventHeader.Size, btf.GetTypeSize(id));
            AssertOffsets<EventHeader>(btf, id, HeaderFields, 0);
            Assert.True(btf.TryGetMemberOffset(id, "comm", out var commBits, out _));
            Assert.Equal(EventHeader.CommOffset * 8, (int)commBits);
        }
    }

    [Fact]
    public void Exec_record_matches_btf()
    {
        var btf = Btf(ProcessProbe.Definition);
        Assert.True(btf.TryFindType("exec_record", BtfKind.Struct, out var id));
        AssertOffsets<ExecRecordLayout>(btf, id, ExecFields, 0);
        Assert.True(btf.TryGetMemberOffset(id, "data", out var dataBits, out _));
        Assert.Equal(ExecRecordLayout.FixedSize * 8, (int)dataBits);
    }

    [Fact]
    public void File_record_matches_btf()
    {
        var btf = Btf(FileProbe.Definition);
        Assert.True(btf.TryFindType("file_record", BtfKind.Struct, out var id));
        AssertOffsets<FileRecordLayout>(btf, id, FileFields, 0);
        Assert.True(btf.TryGetMemberOffset(id, "data", out var dataBits, out _));
        Assert.Equal(FileRecordLayout.FixedSize * 8, (int)dataBits);
    }

    [Fact]
    public void Fixed_record_sizes_match_the_C_asserts()
    {
        Assert.Equal(72, Marshal.SizeOf<EventHeader>());
        Assert.Equal(88, Marshal.SizeOf<ExitRecordLayout>());
        Assert.Equal(80, Marshal.SizeOf<ForkRecordLayout>());
        Assert.Equal(72, (int)Marshal.OffsetOf<ExitRecordLayout>(nameof(ExitRecordLayout.Status)));
        Assert.Equal(80, (int)Marshal.OffsetOf<ExitRecordLayout>(nameof(ExitRecordLayout.LifetimeNs)));
        Assert.Equal(72, (int)Marshal.OffsetOf<ForkRecordLayout>(nameof(ForkRecordLayout.ParentStartNs)));
    }

    private static void AssertOffsets<T>(BtfSpec btf, int structId, (string C, string CSharp)[] fields, int baseOffset)
        where T : struct
    {
        foreach (var (c, csharp) in fields)
        {
            Assert.True(btf.TryGetMemberOffset(structId, c, out var bits, out _), $"BTF has no member '{c}'.");
            int expected = (int)bits / 8 + baseOffset;
            int actual = (int)Marshal.OffsetOf<T>(csharp);
            Assert.True(expected == actual, $"{typeof(T).Name}.{csharp} is at {actual}, but C's '{c}' is at {expected}.");
        }
    }
}
