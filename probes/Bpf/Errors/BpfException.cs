using OsqueryBpf.Bpf.Interop;

namespace OsqueryBpf.Bpf.Errors;

/// <summary>Base type of every error the kernel-facing loader reports.</summary>
public abstract class BpfException : Exception
{
    private protected BpfException(string message, Errno errno, Exception? inner = null)
        : base(message, inner)
    {
        Errno = errno;
        HResult = (int)errno;
    }

    /// <summary>The errno the kernel returned, or <see cref="Errno.None"/> when the failure was not a syscall's.</summary>
    public Errno Errno { get; }
}
