using System.Runtime.InteropServices;
using OsqueryBpf.Bpf.Interop;

namespace OsqueryBpf.Bpf.SafeHandles;

/// <summary>
/// A file descriptor owned by the loader. Disposing (or finalizing) closes it exactly once, and
/// <see cref="LiveCount"/> counts open descriptors of every kind so tests can assert that nothing leaked.
/// </summary>
public abstract class SafeFdHandle : SafeHandle
{
    private static long s_liveCount;

    /// <summary>Wraps <paramref name="fd"/>, taking ownership of it.</summary>
    private protected SafeFdHandle(int fd)
        : base(new IntPtr(-1), ownsHandle: true)
    {
        SetHandle(new IntPtr(fd));
        if (fd >= 0)
            Interlocked.Increment(ref s_liveCount);
    }

    /// <summary>How many descriptors wrapped by any <see cref="SafeFdHandle"/> are open in this process.</summary>
    public static long LiveCount => Interlocked.Read(ref s_liveCount);

    /// <inheritdoc />
    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw descriptor, for diagnostics and for passing to syscalls under DangerousAddRef.</summary>
    internal int Fd => (int)handle.ToInt64();

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        Interlocked.Decrement(ref s_liveCount);
        return Libc.Close(Fd);
    }
}

/// <summary>A BPF object fd: a map, program, BTF object or link.</summary>
public sealed class SafeBpfHandle : SafeFdHandle
{
    internal SafeBpfHandle(int fd) : base(fd) { }
}

/// <summary>A perf event fd from perf_event_open(2).</summary>
public sealed class SafePerfEventHandle : SafeFdHandle
{
    internal SafePerfEventHandle(int fd) : base(fd) { }
}

/// <summary>An epoll instance.</summary>
public sealed class SafeEpollHandle : SafeFdHandle
{
    internal SafeEpollHandle(int fd) : base(fd) { }
}

/// <summary>An eventfd, used to wake a thread blocked in epoll_wait.</summary>
public sealed class SafeEventFdHandle : SafeFdHandle
{
    internal SafeEventFdHandle(int fd) : base(fd) { }
}

/// <summary>An AF_PACKET socket that a socket filter program is attached to.</summary>
public sealed class SafePacketSocketHandle : SafeFdHandle
{
    internal SafePacketSocketHandle(int fd) : base(fd) { }
}
