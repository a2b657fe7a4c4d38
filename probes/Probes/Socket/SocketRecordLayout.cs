using System.Runtime.InteropServices;
using OsqueryBpf.Probes.Decoding;

namespace OsqueryBpf.Probes;

/// <summary>
/// Mirror of the fixed part of <c>struct socket_record</c> (probes/bpf/socket.bpf.c), little-endian, after
/// the <see cref="EventHeader"/>. The executable's path (<see cref="ExeLength"/> bytes) follows at
/// <see cref="FixedSize"/>.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = FixedSize)]
public readonly struct SocketRecordLayout
{
    /// <summary>The record kind (EVENT_SOCKET_FIRST in common.h).</summary>
    public const ushort Kind = 32;

    /// <summary>Bytes before the variable data (SOCKET_RECORD_FIXED_SIZE).</summary>
    public const int FixedSize = 144;

    /// <summary>Offset of <c>local_addr</c> (16 bytes, network byte order).</summary>
    public const int LocalAddressOffset = 104;

    /// <summary>Offset of <c>remote_addr</c> (16 bytes, network byte order).</summary>
    public const int RemoteAddressOffset = 120;

    /// <summary>The common header.</summary>
    [FieldOffset(0)] public readonly EventHeader Header;

    /// <summary>The syscall's return value: a negative errno on failure; accept: the new fd.</summary>
    [FieldOffset(72)] public readonly long Ret;

    /// <summary>Nanoseconds from sys_enter to sys_exit.</summary>
    [FieldOffset(80)] public readonly ulong DurationNs;

    /// <summary>The socket's fd (accept: the new one when it succeeded, else the listener).</summary>
    [FieldOffset(88)] public readonly int Fd;

    /// <summary>AF_INET (2) or AF_INET6 (10).</summary>
    [FieldOffset(92)] public readonly ushort Family;

    /// <summary>sk_type: SOCK_STREAM (1), SOCK_DGRAM (2), SOCK_RAW (3), ...</summary>
    [FieldOffset(94)] public readonly ushort Type;

    /// <summary>sk_protocol: IPPROTO_TCP (6), IPPROTO_UDP (17), ...</summary>
    [FieldOffset(96)] public readonly ushort Protocol;

    /// <summary>Local port, host byte order.</summary>
    [FieldOffset(98)] public readonly ushort LocalPort;

    /// <summary>Remote port, host byte order.</summary>
    [FieldOffset(100)] public readonly ushort RemotePort;

    /// <summary>enum socket_action.</summary>
    [FieldOffset(102)] public readonly SocketAction Action;

    /// <summary>enum socket_syscall.</summary>
    [FieldOffset(103)] public readonly SocketSyscall Syscall;

    /// <summary>Bytes of the executable's path after the fixed part.</summary>
    [FieldOffset(136)] public readonly ushort ExeLength;
}
