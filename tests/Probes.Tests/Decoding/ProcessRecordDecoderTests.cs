using OsqueryBpf.Probes.Decoding;
using Xunit;
using static OsqueryBpf.Probes.Tests.RecordBuilder;

namespace OsqueryBpf.Probes.Tests.Decoding;

public sealed class ProcessRecordDecoderTests
{
    private static readonly BootClock Clock = new(1_700_000_000L * 1_000_000_000);

    private static ProcessEvent Decode(byte[] record, ProcessSettings? settings = null)
    {
        var decoder = new ProcessRecordDecoder(settings ?? new ProcessSettings(), Clock);
        Assert.True(decoder.TryDecode(record, out var evt, out var error), error);
        return Assert.IsType<ProcessEvent>(evt);
    }

    [Fact]
    public void Successful_exec_has_every_field()
    {
        var header = new Header { Comm = Utf8("my prog") };
        var record = Exec(header, ret: 0, durationNs: 12345, syscall: 1, Utf8("/usr/bin/my prog"), Utf8("/home/u"),
            Argv(Utf8("my prog"), Utf8("arg with spaces"), Utf8("line1\nline2"), Utf8("\"quoted\"")));

        var evt = Decode(record);

        Assert.Equal("execve", evt.Syscall);
        Assert.Equal("/usr/bin/my prog", evt.Path);
        Assert.Equal("/home/u", evt.Cwd);
        Assert.Equal(["my prog", "arg with spaces", "line1\nline2", "\"quoted\""], evt.Argv);
        Assert.Equal(0, evt.ExitCode);
        Assert.Equal(12345, evt.Duration);
        Assert.Equal(101, evt.Tid);
        Assert.Equal(100, evt.Pid);
        Assert.Equal(1, evt.Parent);
        Assert.Equal(1000, evt.Uid);
        Assert.Equal(1001, evt.Gid);
        Assert.Equal(1002, evt.Euid);
        Assert.Equal(1003, evt.Egid);
        Assert.Equal(1004, evt.Auid);
        Assert.Equal(0x1_0000_0001, evt.CgroupId);
        Assert.Equal("my prog", evt.Comm);
        Assert.Equal(5_000_000_000UL, evt.BootTimeNs);
        Assert.Equal(1_700_000_005, evt.Time);
        Assert.False(evt.ProbeError);
        Assert.Equal("my prog".Length + "arg with spaces".Length + "line1\nline2".Length + "\"quoted\"".Length + 4, evt.ArgvSize); // with the NULs
    }

    [Fact]
    public void Failed_execveat_keeps_its_errno_and_empty_arguments()
    {
        var record = Exec(new Header(), ret: -2, durationNs: 10, syscall: 2, Utf8("/tmp/./missing"), Utf8("/tmp"),
            Argv(Utf8("missing"), Utf8(""), Utf8("x")), info: 0x06, argc: 3);

        var evt = Decode(record);

        Assert.Equal("execveat", evt.Syscall);
        Assert.Equal(-2, evt.ExitCode);
        Assert.Equal(["missing", "", "x"], evt.Argv);
    }

    [Fact]
    public void Non_utf8_arguments_are_escaped_reversibly()
    {
        byte[] odd = [(byte)'a', 0xFF, (byte)'\\', (byte)'b'];
        var evt = Decode(Exec(new Header(), 0, 0, 1, [(byte)'/', 0xC0], Utf8("/"), Argv(odd)));

        Assert.Equal("/\\xC0", evt.Path);
        Assert.Equal("a\\xFF\\\\b", evt.Argv[0]);
        Assert.Equal(odd, EscapedText.ToBytes(evt.Argv[0]));
    }

    [Fact]
    public void Argv_cut_by_the_kernel_keeps_the_partial_argument_and_sets_probe_error()
    {
        // The last argument has no NUL: max_argv_bytes cut it.
        byte[] argv = [.. Argv(Utf8("prog")), .. Utf8("partial")];
        var evt = Decode(Exec(new Header(), 0, 0, 1, Utf8("/bin/prog"), Utf8("/"), argv, info: 0x01));

        Assert.Equal(["prog", "partial"], evt.Argv);
        Assert.True(evt.ProbeError);
        Assert.Null(evt.ArgvSize); // the kernel's full size is not in the record: no made-up value
    }

    [Fact]
    public void More_arguments_than_MaxArgs_are_dropped_and_flagged()
    {
        var record = Exec(new Header(), 0, 0, 1, Utf8("/bin/p"), Utf8("/"), Argv(Utf8("a"), Utf8("b"), Utf8("c")));
        var evt = Decode(record, new ProcessSettings { MaxArgs = 2 });

        Assert.Equal(["a", "b"], evt.Argv);
        Assert.True(evt.ProbeError);
        Assert.Equal(6, evt.ArgvSize); // dropped here, not by the kernel: the record had all of argv
    }

    [Fact]
    public void Probe_error_flag_from_the_kernel_is_kept()
    {
        var evt = Decode(Exec(new Header { Flags = 1 }, 0, 0, 1, Utf8("tmp/cut"), Utf8("/"), Argv(Utf8("x"))));
        Assert.True(evt.ProbeError);
        Assert.Equal("tmp/cut", evt.Path);
    }

    [Theory]
    [InlineData(0x0700L, 7L)]   // exit(7)
    [InlineData(0L, 0L)]
    [InlineData(0x0009L, -9L)]  // SIGKILL
    [InlineData(0x008BL, -11L)] // SIGSEGV with core dump
    public void Exit_status_becomes_code_or_negative_signal(long status, long expected)
    {
        var evt = Decode(Exit(new Header(), status, lifetimeNs: 777));

        Assert.Equal("exit", evt.Syscall);
        Assert.Equal(expected, evt.ExitCode);
        Assert.Equal(777, evt.Duration);
        Assert.Empty(evt.Argv);
    }

    [Fact]
    public void Fork_has_the_child_ids()
    {
        var evt = Decode(Fork(new Header { Tid = 555, Pid = 555, Ppid = 444 }));
        Assert.Equal("fork", evt.Syscall);
        Assert.Equal(555, evt.Pid);
        Assert.Equal(444, evt.Parent);
    }

    [Fact]
    public void Malformed_records_are_refused_with_a_reason()
    {
        var decoder = new ProcessRecordDecoder(new ProcessSettings(), Clock);

        Assert.False(decoder.TryDecode(new byte[10], out _, out var error));
        Assert.Contains("shorter than the 72-byte header", error);

        var exec = Exec(new Header(), 0, 0, 1, Utf8("/bin/x"), Utf8("/"), Argv(Utf8("x")));
        Assert.False(decoder.TryDecode(exec.AsSpan(0, exec.Length - 3), out _, out error));
        Assert.Contains("bytes but the ring gave", error);

        // Lengths that point past the end.
        exec[96] = 0xFF;
        exec[4] = 104; exec[5] = 0; // stated size no longer hides the problem
        Assert.False(decoder.TryDecode(exec, out _, out error));
        Assert.Contains("need", error);

        var unknown = Fork(new Header());
        unknown[0] = 9;
        Assert.False(decoder.TryDecode(unknown, out _, out error));
        Assert.Contains("kind 9", error);
    }
}
