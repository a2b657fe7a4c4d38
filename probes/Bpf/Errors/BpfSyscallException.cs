using OsqueryBpf.Bpf.Interop;

namespace OsqueryBpf.Bpf.Errors;

/// <summary>A system call made by the loader failed.</summary>
/// <remarks>
/// <see cref="Command"/> names the bpf(2) command for bpf failures; <see cref="Syscall"/> names the call
/// ("bpf", "perf_event_open", "mmap", "epoll_wait", ...) in every case.
/// </remarks>
public sealed class BpfSyscallException : BpfException
{
    internal BpfSyscallException(string syscall, BpfCmd? command, Errno errno, string message)
        : base(message, errno)
    {
        Syscall = syscall;
        Command = command;
    }

    /// <summary>The system call that failed.</summary>
    public string Syscall { get; }

    /// <summary>The bpf(2) command, when <see cref="Syscall"/> is "bpf".</summary>
    public BpfCmd? Command { get; }
}
