using OsqueryBpf.Probes.Decoding;
using Xunit;
using static OsqueryBpf.Probes.Tests.RecordBuilder;

namespace OsqueryBpf.Probes.Tests.Decoding;

public sealed class FileRecordDecoderTests
{
    private static readonly BootClock Clock = new(0);

    private static FileEvent Decode(byte[] record)
    {
        var decoder = new FileRecordDecoder(Clock);
        Assert.True(decoder.TryDecode(record, out var evt, out var error), error);
        return Assert.IsType<FileEvent>(evt);
    }

    [Fact]
    public void Create_through_openat_relative_to_cwd()
    {
        var evt = Decode(File(new Header(), new FileFields
        {
            Ret = 3, Inode = 4242, Flags = 0x80241, Mode = 0x1A4, Syscall = 1, Action = 2, Info = 0x01 | 0x04,
            Path = Utf8("/home/u/new file.txt"), PathDirLength = 7, Exe = Utf8("/usr/bin/touch"),
        }));

        Assert.Equal("create", evt.Action);
        Assert.Equal("openat", evt.Syscall);
        Assert.Equal("/home/u/new file.txt", evt.Path);
        Assert.Equal("/home/u", evt.Cwd);
        Assert.Equal("O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC", evt.Flags);
        Assert.Equal("0644", evt.Mode);
        Assert.Equal(3, evt.ExitCode);
        Assert.Equal(4242, evt.Inode);
        Assert.Equal("/usr/bin/touch", evt.Executable);
        Assert.Equal("", evt.DestPath);
        Assert.Equal(-1, evt.OwnerUid);
    }

    [Fact]
    public void Rename_has_both_paths_and_its_flags()
    {
        var evt = Decode(File(new Header(), new FileFields
        {
            Syscall = 11, Action = 5, Flags = 1, Path = Utf8("/d/a\nb"), Dest = Utf8("/d/\"c\""), PathDirLength = 2,
        }));

        Assert.Equal("rename", evt.Action);
        Assert.Equal("renameat2", evt.Syscall);
        Assert.Equal("/d/a\nb", evt.Path);
        Assert.Equal("/d/\"c\"", evt.DestPath);
        Assert.Equal("RENAME_NOREPLACE", evt.Flags);
        Assert.Equal("", evt.Cwd); // the directory came from a dirfd, not the cwd
        Assert.Equal("", evt.Mode);
    }

    [Fact]
    public void Chown_keeps_owner_and_unchanged_group()
    {
        var evt = Decode(File(new Header(), new FileFields
        {
            Syscall = 22, Action = 9, Info = 0x02, OwnerUid = 1, OwnerGid = uint.MaxValue, Flags = 0x100, Path = Utf8("/f"),
        }));

        Assert.Equal("chown", evt.Action);
        Assert.Equal(1, evt.OwnerUid);
        Assert.Equal(-1, evt.OwnerGid);
        Assert.Equal("AT_SYMLINK_NOFOLLOW", evt.Flags);
    }

    [Fact]
    public void Unlinkat_rmdir_and_failed_result()
    {
        var evt = Decode(File(new Header(), new FileFields
        {
            Syscall = 8, Action = 7, Flags = 0x200, Ret = -39, Path = Utf8("/tmp/full dir"),
        }));

        Assert.Equal("rmdir", evt.Action);
        Assert.Equal("unlinkat", evt.Syscall);
        Assert.Equal("AT_REMOVEDIR", evt.Flags);
        Assert.Equal(-39, evt.ExitCode);
    }

    [Fact]
    public void Non_utf8_names_are_escaped()
    {
        var evt = Decode(File(new Header(), new FileFields
        {
            Syscall = 7, Action = 4, Path = [.. Utf8("/tmp/"), 0xFE, .. Utf8("\\x")],
        }));
        Assert.Equal("/tmp/\\xFE\\\\x", evt.Path);
    }

    [Fact]
    public void Malformed_records_are_refused_with_a_reason()
    {
        var decoder = new FileRecordDecoder(Clock);
        var good = File(new Header(), new FileFields { Path = Utf8("/a"), Exe = Utf8("/b") });

        var wrongKind = (byte[])good.Clone();
        wrongKind[0] = 1;
        Assert.False(decoder.TryDecode(wrongKind, out _, out var error));
        Assert.Contains("kind 1", error);

        var pastEnd = (byte[])good.Clone();
        pastEnd[114] = 200; // exe_len
        Assert.False(decoder.TryDecode(pastEnd, out _, out error));
        Assert.Contains("need", error);

        var badAction = (byte[])good.Clone();
        badAction[106] = 99;
        Assert.False(decoder.TryDecode(badAction, out _, out error));
        Assert.Contains("action 99", error);

        Assert.False(decoder.TryDecode(good.AsSpan(0, 100), out _, out error));
        Assert.NotNull(error);
    }
}
