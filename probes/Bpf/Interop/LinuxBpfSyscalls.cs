using Tmds.Linux;

namespace OsqueryBpf.Bpf.Interop;

/// <summary>The real bpf(2), through libc's syscall().</summary>
internal sealed unsafe class LinuxBpfSyscalls : IBpfSyscalls
{
    /// <summary>The one instance used outside tests.</summary>
    public static readonly LinuxBpfSyscalls Instance = new();

    private LinuxBpfSyscalls()
    {
    }

    public int Bpf(BpfCmd cmd, void* attr, uint size, out Errno errno)
    {
        for (var attempt = 0; ; attempt++)
        {
            long result = (ssize_t)LibC.syscall(SyscallNumbers.Bpf, (int)cmd, attr, size);
            if (result >= 0)
            {
                errno = Errno.None;
                return (int)result;
            }
            errno = (Errno)LibC.errno;
            // EINTR: a signal arrived mid-call; nothing happened, so repeat. EAGAIN on BPF_PROG_LOAD:
            // the verifier gave up because of a pending signal (kernel/bpf/verifier.c checks
            // signal_pending), cilium/ebpf retries the same way.
            var retry = errno == Errno.EINTR || (errno == Errno.EAGAIN && cmd == BpfCmd.BPF_PROG_LOAD);
            if (!retry || attempt >= 5)
                return -1;
        }
    }
}
