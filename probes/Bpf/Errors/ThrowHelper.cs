using System.Diagnostics.CodeAnalysis;
using OsqueryBpf.Bpf.Interop;

namespace OsqueryBpf.Bpf.Errors;

/// <summary>Builds the loader's exceptions so every message has the same shape.</summary>
internal static class ThrowHelper
{
    /// <summary>"BPF_MAP_CREATE failed for map 'events': Operation not permitted (EPERM). hint"</summary>
    public static BpfSyscallException BpfCommandFailed(BpfCmd command, Errno errno, string subject)
    {
        var hint = ErrorHints.For(command, errno);
        return new BpfSyscallException("bpf", command, errno,
            $"{command} failed for {subject}: {errno.Describe()}.{(hint is null ? "" : " " + hint)}");
    }

    /// <summary>"perf_event_open failed for tracepoint 'syscalls/sys_enter_getpid': ..."</summary>
    public static BpfSyscallException SyscallFailed(string syscall, Errno errno, string subject)
    {
        var hint = ErrorHints.For(errno);
        return new BpfSyscallException(syscall, null, errno,
            $"{syscall} failed for {subject}: {errno.Describe()}.{(hint is null ? "" : " " + hint)}");
    }

    [DoesNotReturn]
    public static void ThrowBpfCommandFailed(BpfCmd command, Errno errno, string subject) =>
        throw BpfCommandFailed(command, errno, subject);

    [DoesNotReturn]
    public static void ThrowSyscallFailed(string syscall, Errno errno, string subject) =>
        throw SyscallFailed(syscall, errno, subject);
}
