using System.Runtime.InteropServices;
using OsqueryBpf.Probes.Decoding;

namespace OsqueryBpf.Probes;

/// <summary>
/// Mirror of the fixed part of <c>struct exec_record</c> (probes/bpf/process.bpf.c). After it, in order:
/// path (<see cref="PathLength"/> bytes), cwd (<see cref="CwdLength"/>), argv (<see cref="ArgvLength"/>,
/// each argument ended by a NUL; the last one may be cut and lack it).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = FixedSize)]
public readonly struct ExecRecordLayout
{
    /// <summary>Bytes before the data area (EXEC_RECORD_FIXED_SIZE).</summary>
    public const int FixedSize = 104;

    /// <summary>EXEC_INFO_ARGV_CUT: argv was longer than the configured limits.</summary>
    public const uint InfoArgvCut = 0x01;

    /// <summary>EXEC_INFO_PATH_FROM_CWD: a failed exec's path was relative to the cwd.</summary>
    public const uint InfoPathFromCwd = 0x02;

    /// <summary>EXEC_INFO_ARGV_COUNTED: <see cref="Argc"/> counts the argv strings.</summary>
    public const uint InfoArgvCounted = 0x04;

    /// <summary>The common header.</summary>
    [FieldOffset(0)] public readonly EventHeader Header;

    /// <summary>The exec's return value: 0 or a negative errno.</summary>
    [FieldOffset(72)] public readonly long Ret;

    /// <summary>Nanoseconds from syscall entry to exit, 0 when unknown.</summary>
    [FieldOffset(80)] public readonly ulong DurationNs;

    /// <summary>1 execve, 2 execveat.</summary>
    [FieldOffset(88)] public readonly ushort Syscall;

    /// <summary>Strings in argv when <see cref="InfoArgvCounted"/>.</summary>
    [FieldOffset(90)] public readonly ushort Argc;

    /// <summary>Bytes of the executable's path.</summary>
    [FieldOffset(92)] public readonly ushort PathLength;

    /// <summary>Bytes of the cwd.</summary>
    [FieldOffset(94)] public readonly ushort CwdLength;

    /// <summary>Bytes of argv.</summary>
    [FieldOffset(96)] public readonly uint ArgvLength;

    /// <summary>EXEC_INFO_* bits.</summary>
    [FieldOffset(100)] public readonly uint Info;
}
