using System.Net;
using OsqueryBpf.Probes.Decoding;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

public sealed class SocketRecordDecoderTests
{
    private static readonly BootClock Clock = new(1_700_000_000L * 1_000_000_000);

    private static SocketEvent Decode(byte[] record)
    {
        var decoder = new SocketRecordDecoder(Clock);
        Assert.True(decoder.TryDecode(record, out var evt, out var error), error);
        return Assert.IsType<SocketEvent>(evt);
    }

    private static string Refused(byte[] record)
    {
        Assert.False(new SocketRecordDecoder(Clock).TryDecode(record, out var evt, out var error));
        Assert.Null(evt);
        Assert.NotNull(error);
        Assert.EndsWith(".", error);
        return error;
    }

    [Fact]
    public void Connect_over_ipv4_has_both_ends_the_process_and_the_executable()
    {
        var header = new RecordBuilder.Header { Pid = 4242, Tid = 4243, Ppid = 1, Uid = 1000, Gid = 100, Auid = 1001, BootNs = 9_000_000_000 };
        var evt = Decode(NetRecordBuilder.Socket(header, new NetRecordBuilder.SocketFields
        {
            Ret = 0, DurationNs = 56_789, Fd = 3, Local = IPAddress.Parse("10.0.0.5"), LocalPort = 41_000,
            Remote = IPAddress.Parse("93.184.216.34"), RemotePort = 443,
        }));
        Assert.Equal("connect", evt.Action);
        Assert.Equal("connect", evt.Syscall);
        Assert.Equal(3, evt.Fd);
        Assert.Equal(2, evt.Family);
        Assert.Equal(1, evt.Type);
        Assert.Equal(6, evt.Protocol);
        Assert.Equal("10.0.0.5", evt.LocalAddress);
        Assert.Equal(41_000, evt.LocalPort);
        Assert.Equal("93.184.216.34", evt.RemoteAddress);
        Assert.Equal(443, evt.RemotePort);
        Assert.Equal(0, evt.ExitCode);
        Assert.Equal("succeeded", evt.Status);
        Assert.Equal(56_789, evt.Duration);
        Assert.Equal("/usr/bin/curl", evt.Path);
        Assert.Equal(1001, evt.Auid); // the caller's loginuid from the record's header
        Assert.Equal(4242, evt.Pid);
        Assert.Equal(4243, evt.Tid);
        Assert.Equal(1000, evt.Uid);
        Assert.Equal("comm", evt.Comm);
        Assert.Equal(9_000_000_000UL, evt.BootTimeNs);
        Assert.Equal(1_700_000_009, evt.Time);
    }

    [Theory]
    [InlineData(1, 1, 0, "succeeded")]
    [InlineData(1, 1, -115, "in_progress")]
    [InlineData(1, 1, -111, "failed")]
    [InlineData(2, 3, 5, "succeeded")]
    [InlineData(2, 3, -115, "failed")] // EINPROGRESS means something only for connect
    [InlineData(3, 4, -98, "failed")]
    [InlineData(5, 6, 0, "succeeded")]
    public void Status_follows_the_result(byte action, byte syscall, long ret, string status)
    {
        var evt = Decode(NetRecordBuilder.Socket(new RecordBuilder.Header(), new NetRecordBuilder.SocketFields
        {
            Action = action, Syscall = syscall, Ret = ret,
        }));
        Assert.Equal(status, evt.Status);
        Assert.Equal(ret, evt.ExitCode);
    }

    [Theory]
    [InlineData(2, 3, "accept", "accept4")]
    [InlineData(2, 2, "accept", "accept")]
    [InlineData(3, 4, "bind", "bind")]
    [InlineData(4, 5, "listen", "listen")]
    [InlineData(5, 6, "close", "close")]
    public void Actions_and_syscalls_have_their_names(byte action, byte syscall, string actionName, string syscallName)
    {
        var evt = Decode(NetRecordBuilder.Socket(new RecordBuilder.Header(), new NetRecordBuilder.SocketFields
        {
            Action = action, Syscall = syscall,
        }));
        Assert.Equal(actionName, evt.Action);
        Assert.Equal(syscallName, evt.Syscall);
    }

    [Fact]
    public void Ipv6_sockets_show_ipv4_mapped_peers_as_the_kernel_has_them()
    {
        var evt = Decode(NetRecordBuilder.Socket(new RecordBuilder.Header(), new NetRecordBuilder.SocketFields
        {
            Family = 10, Local = IPAddress.Parse("::ffff:127.0.0.1"), LocalPort = 8080,
            Remote = IPAddress.Parse("::ffff:127.0.0.1"), RemotePort = 50_000, Action = 2, Syscall = 3, Ret = 9,
        }));
        Assert.Equal(10, evt.Family);
        Assert.Equal("::ffff:127.0.0.1", evt.LocalAddress);
        Assert.Equal("::ffff:127.0.0.1", evt.RemoteAddress);
    }

    [Fact]
    public void Ipv6_addresses_are_canonical_and_an_unset_end_is_the_any_address()
    {
        var evt = Decode(NetRecordBuilder.Socket(new RecordBuilder.Header(), new NetRecordBuilder.SocketFields
        {
            Family = 10, Local = IPAddress.Parse("2001:db8:0:0:1:0:0:1"), LocalPort = 80, Remote = IPAddress.IPv6Any,
            Action = 4, Syscall = 5,
        }));
        Assert.Equal("2001:db8::1:0:0:1", evt.LocalAddress);
        Assert.Equal("::", evt.RemoteAddress);
        Assert.Equal(0, evt.RemotePort);
    }

    [Fact]
    public void An_executable_that_is_not_utf8_is_escaped_not_lost()
    {
        var evt = Decode(NetRecordBuilder.Socket(new RecordBuilder.Header(), new NetRecordBuilder.SocketFields
        {
            Exe = [(byte)'/', (byte)'x', 0xFF],
        }));
        Assert.Equal("/x\\xff", evt.Path, ignoreCase: true);
    }

    [Fact]
    public void Malformed_records_are_refused_with_a_reason()
    {
        var good = NetRecordBuilder.Socket(new RecordBuilder.Header(), new NetRecordBuilder.SocketFields());

        Assert.Contains("shorter than the 72-byte header", Refused(good[..40]));
        Assert.Contains("fixed part", Refused(good[..100]));

        var wrongKind = (byte[])good.Clone();
        wrongKind[0] = 16;
        Assert.Contains("kind 16", Refused(wrongKind));

        var unknownAction = (byte[])good.Clone();
        unknownAction[102] = 9;
        Assert.Contains("action 9", Refused(unknownAction));

        var unixFamily = (byte[])good.Clone();
        unixFamily[92] = 1;
        Assert.Contains("address family 1", Refused(unixFamily));

        var exeTooLong = (byte[])good.Clone();
        exeTooLong[136] = 200;
        Assert.Contains("executable needs 200 bytes", Refused(exeTooLong));
    }
}
