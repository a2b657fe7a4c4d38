using System.Text;
using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.SafeHandles;
using Tmds.Linux;

namespace OsqueryBpf.Bpf.Interop;

/// <summary>
/// The libc calls the loader needs besides bpf(2), through Tmds.LibC, with kernel-spelled constants.
/// Every raw fd is wrapped in a SafeHandle before it leaves this class.
/// </summary>
internal static unsafe class Libc
{
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x01;
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const uint EPOLLIN = 0x001;
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;
    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const ushort ETH_P_ALL = 0x0003;
    public const int SOL_SOCKET = 1;
    public const int SO_ATTACH_BPF = 50;
    public const int MSG_DONTWAIT = 0x40;
    public const ulong PERF_FLAG_FD_CLOEXEC = 1UL << 3;
    public const int PERF_EVENT_IOC_ENABLE = 0x2400; // _IO('$', 0)
    public const int PERF_EVENT_IOC_DISABLE = 0x2401; // _IO('$', 1)
    public const int PERF_EVENT_IOC_SET_BPF = 0x40042408; // _IOW('$', 8, __u32)

    public static bool Close(int fd) => LibC.close(fd) == 0;

    public static Errno LastErrno => (Errno)LibC.errno;

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/> at <paramref name="offset"/>.</summary>
    public static SafeMmapHandle Mmap(SafeFdHandle fd, nuint length, int prot, long offset, string subject)
    {
        var added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            var address = LibC.mmap(null, (size_t)(ulong)length, prot, MAP_SHARED, fd.Fd, offset);
            if (address == (void*)-1)
                throw ThrowHelper.SyscallFailed("mmap", LastErrno, subject);
            return new SafeMmapHandle((IntPtr)address, length);
        }
        finally
        {
            if (added)
                fd.DangerousRelease();
        }
    }

    public static bool Munmap(IntPtr address, nuint length) => LibC.munmap((void*)address, (size_t)(ulong)length) == 0;

    public static int PageSize => Environment.SystemPageSize;

    public static SafeEpollHandle EpollCreate()
    {
        var fd = LibC.epoll_create1(EPOLL_CLOEXEC);
        if (fd < 0)
            throw ThrowHelper.SyscallFailed("epoll_create1", LastErrno, "a ring buffer reader");
        return new SafeEpollHandle(fd);
    }

    /// <summary>Adds <paramref name="fd"/> to the epoll set for EPOLLIN, tagged with <paramref name="tag"/>.</summary>
    public static void EpollAdd(SafeEpollHandle epoll, SafeFdHandle fd, ulong tag)
    {
        var epollAdded = false;
        var fdAdded = false;
        try
        {
            epoll.DangerousAddRef(ref epollAdded);
            fd.DangerousAddRef(ref fdAdded);
            var ev = new epoll_event { events = (int)EPOLLIN };
            ev.data.u64 = tag;
            if (LibC.epoll_ctl(epoll.Fd, EPOLL_CTL_ADD, fd.Fd, &ev) < 0)
                throw ThrowHelper.SyscallFailed("epoll_ctl", LastErrno, "a ring buffer reader");
        }
        finally
        {
            if (fdAdded)
                fd.DangerousRelease();
            if (epollAdded)
                epoll.DangerousRelease();
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> (-1: forever) and writes the tags of ready fds
    /// into <paramref name="readyTags"/>. Returns how many are ready; 0 on timeout or EINTR.
    /// </summary>
    public static int EpollWait(SafeEpollHandle epoll, Span<ulong> readyTags, int timeoutMilliseconds)
    {
        var added = false;
        try
        {
            epoll.DangerousAddRef(ref added);
            var max = Math.Min(readyTags.Length, 8);
            var events = stackalloc epoll_event[8];
            var n = LibC.epoll_wait(epoll.Fd, events, max, timeoutMilliseconds);
            if (n < 0)
            {
                var errno = LastErrno;
                if (errno == Errno.EINTR)
                    return 0; // a signal; the caller loops and re-checks its state
                throw ThrowHelper.SyscallFailed("epoll_wait", errno, "a ring buffer reader");
            }
            for (var i = 0; i < n; i++)
                readyTags[i] = events[i].data.u64;
            return n;
        }
        finally
        {
            if (added)
                epoll.DangerousRelease();
        }
    }

    public static SafeEventFdHandle EventFd()
    {
        var fd = LibC.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd < 0)
            throw ThrowHelper.SyscallFailed("eventfd", LastErrno, "a ring buffer reader");
        return new SafeEventFdHandle(fd);
    }

    /// <summary>Adds one to the eventfd counter, waking any epoll_wait that watches it.</summary>
    public static void EventFdSignal(SafeEventFdHandle eventFd)
    {
        var added = false;
        try
        {
            eventFd.DangerousAddRef(ref added);
            ulong one = 1;
            // EAGAIN means the counter is saturated, which still leaves it readable: nothing to do.
            _ = LibC.write(eventFd.Fd, &one, sizeof(ulong));
        }
        finally
        {
            if (added)
                eventFd.DangerousRelease();
        }
    }

    /// <summary>perf_event_open(attr, pid, cpu, group_fd = -1, PERF_FLAG_FD_CLOEXEC).</summary>
    public static SafePerfEventHandle PerfEventOpen(ref PerfEventAttr attr, int pid, int cpu, string subject)
    {
        attr.size = (uint)sizeof(PerfEventAttr);
        fixed (PerfEventAttr* a = &attr)
        {
            long fd = (ssize_t)LibC.syscall(SyscallNumbers.PerfEventOpen, a, pid, cpu, -1, (long_t)(long)PERF_FLAG_FD_CLOEXEC);
            if (fd < 0)
                throw ThrowHelper.SyscallFailed("perf_event_open", LastErrno, subject);
            return new SafePerfEventHandle((int)fd);
        }
    }

    public static void Ioctl(SafeFdHandle fd, int request, int argument, string subject)
    {
        var added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            if (LibC.ioctl(fd.Fd, request, argument) < 0)
                throw ThrowHelper.SyscallFailed("ioctl", LastErrno, subject);
        }
        finally
        {
            if (added)
                fd.DangerousRelease();
        }
    }

    /// <summary>PERF_EVENT_IOC_SET_BPF: the argument is the program fd.</summary>
    public static void PerfEventSetBpf(SafePerfEventHandle perfEvent, SafeBpfHandle program, string subject)
    {
        var added = false;
        try
        {
            program.DangerousAddRef(ref added);
            Ioctl(perfEvent, PERF_EVENT_IOC_SET_BPF, program.Fd, subject);
        }
        finally
        {
            if (added)
                program.DangerousRelease();
        }
    }

    /// <summary>
    /// Opens a non-blocking AF_PACKET raw socket that sees every protocol (ETH_P_ALL), bound to
    /// <paramref name="interfaceIndex"/> when it is not 0 (0 means every interface).
    /// </summary>
    public static SafePacketSocketHandle OpenPacketSocket(int interfaceIndex)
    {
        // The protocol field is in network byte order (packet(7)).
        var protocol = (ushort)((ETH_P_ALL << 8) | (ETH_P_ALL >> 8));
        var fd = LibC.socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        if (fd < 0)
            throw ThrowHelper.SyscallFailed("socket", LastErrno, "an AF_PACKET socket for a socket filter");
        var socket = new SafePacketSocketHandle(fd);
        if (interfaceIndex != 0)
        {
            var address = new sockaddr_ll { sll_family = AF_PACKET, sll_protocol = protocol, sll_ifindex = interfaceIndex };
            if (LibC.bind(fd, (sockaddr*)&address, sizeof(sockaddr_ll)) < 0)
            {
                var errno = LastErrno;
                socket.Dispose();
                throw ThrowHelper.SyscallFailed("bind", errno, $"an AF_PACKET socket on interface index {interfaceIndex}");
            }
        }
        return socket;
    }

    /// <summary>setsockopt(SOL_SOCKET, SO_ATTACH_BPF, program fd).</summary>
    public static void AttachSocketFilter(SafePacketSocketHandle socket, SafeBpfHandle program, string programName)
    {
        var socketAdded = false;
        var programAdded = false;
        try
        {
            socket.DangerousAddRef(ref socketAdded);
            program.DangerousAddRef(ref programAdded);
            var programFd = program.Fd;
            if (LibC.setsockopt(socket.Fd, SOL_SOCKET, SO_ATTACH_BPF, &programFd, sizeof(int)) < 0)
                throw ThrowHelper.SyscallFailed("setsockopt(SO_ATTACH_BPF)", LastErrno, $"program '{programName}'");
        }
        finally
        {
            if (programAdded)
                program.DangerousRelease();
            if (socketAdded)
                socket.DangerousRelease();
        }
    }

    /// <summary>
    /// Receives one packet without blocking. Returns its length (the full length, even when
    /// <paramref name="buffer"/> was shorter), or -1 when no packet is queued.
    /// </summary>
    public static int Receive(SafePacketSocketHandle socket, Span<byte> buffer)
    {
        const int MSG_TRUNC = 0x20; // report the real length of a truncated packet
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            fixed (byte* b = buffer)
            {
                long n = LibC.recv(socket.Fd, b, buffer.Length, MSG_DONTWAIT | MSG_TRUNC);
                if (n >= 0)
                    return (int)n;
                var errno = LastErrno;
                if (errno is Errno.EAGAIN or Errno.EINTR)
                    return -1;
                throw ThrowHelper.SyscallFailed("recv", errno, "an AF_PACKET socket");
            }
        }
        finally
        {
            if (added)
                socket.DangerousRelease();
        }
    }

    /// <summary>mount -t <paramref name="fileSystem"/> <paramref name="fileSystem"/> <paramref name="target"/>.</summary>
    public static Errno Mount(string fileSystem, string target)
    {
        var fs = Encoding.ASCII.GetBytes(fileSystem + "\0");
        var dir = Encoding.UTF8.GetBytes(target + "\0");
        fixed (byte* f = fs)
        fixed (byte* d = dir)
        {
            return LibC.mount(f, d, f, 0, null) == 0 ? Errno.None : LastErrno;
        }
    }

    private const int RLIMIT_MEMLOCK = 8; // the same on x86_64 and arm64 (asm-generic/resource.h)

    /// <summary>RLIMIT_MEMLOCK of this process (bytes; ulong.MaxValue is RLIM_INFINITY), or the errno.</summary>
    public static Errno GetMemlockLimit(out ulong soft, out ulong hard)
    {
        var limit = stackalloc ulong[2]; // struct rlimit64 { rlim_cur, rlim_max }
        var result = (long)(ssize_t)LibC.syscall(SyscallNumbers.Prlimit64, 0, RLIMIT_MEMLOCK, null, limit);
        soft = limit[0];
        hard = limit[1];
        return result == 0 ? Errno.None : LastErrno;
    }

    /// <summary>Sets RLIMIT_MEMLOCK of this process; raising the hard limit needs CAP_SYS_RESOURCE.</summary>
    public static Errno SetMemlockLimit(ulong soft, ulong hard)
    {
        var limit = stackalloc ulong[2];
        limit[0] = soft;
        limit[1] = hard;
        var result = (long)(ssize_t)LibC.syscall(SyscallNumbers.Prlimit64, 0, RLIMIT_MEMLOCK, limit, null);
        return result == 0 ? Errno.None : LastErrno;
    }
}
