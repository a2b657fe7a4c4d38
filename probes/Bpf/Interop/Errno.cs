using System.Runtime.InteropServices;

namespace OsqueryBpf.Bpf.Interop;

/// <summary>
/// A Linux errno value. Strongly typed so a raw errno is never mixed up with an fd, a length or a
/// return value; the numeric values are the kernel's (asm-generic/errno-base.h and errno.h, which x86_64
/// and arm64 share), so no translation table is needed.
/// </summary>
public enum Errno
{
    /// <summary>No error.</summary>
    None = 0,
#pragma warning disable CS1591 // The names are the kernel's; their meaning is in ErrnoInfo.Text.
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    E2BIG = 7,
    ENOEXEC = 8,
    EBADF = 9,
    ECHILD = 10,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    EXDEV = 18,
    ENODEV = 19,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    ENFILE = 23,
    EMFILE = 24,
    ENOTTY = 25,
    EFBIG = 27,
    ENOSPC = 28,
    ESPIPE = 29,
    EROFS = 30,
    EMLINK = 31,
    EPIPE = 32,
    ERANGE = 34,
    EDEADLK = 35,
    ENAMETOOLONG = 36,
    ENOSYS = 38,
    ENOTEMPTY = 39,
    ELOOP = 40,
    ENOMSG = 42,
    ENODATA = 61,
    ETIME = 62,
    EOVERFLOW = 75,
    EBADFD = 77,
    ENOTSOCK = 88,
    EPROTONOSUPPORT = 93,
    EOPNOTSUPP = 95,
    EAFNOSUPPORT = 97,
    EADDRINUSE = 98,
    ETIMEDOUT = 110,
    ECANCELED = 125,
    /// <summary>
    /// Kernel-internal "operation not supported" (include/linux/errno.h). It is not in the userspace
    /// errno list, so strerror calls it "Unknown error 524", but bpf(2) leaks it for unsupported helpers,
    /// attach types and map operations.
    /// </summary>
    ENOTSUPP = 524,
#pragma warning restore CS1591
}

/// <summary>Names and descriptions of <see cref="Errno"/> values.</summary>
public static class ErrnoInfo
{
    /// <summary>The errno's symbolic name ("EPERM"), or "errno N" for a value this enum does not name.</summary>
    public static string Name(this Errno errno) =>
        Enum.IsDefined(errno) ? errno.ToString() : $"errno {(int)errno}";

    /// <summary>The C library's description of the errno ("Operation not permitted").</summary>
    public static string Text(this Errno errno) => errno switch
    {
        Errno.None => "Success",
        Errno.ENOTSUPP => "Operation not supported by the kernel",
        _ => Marshal.GetPInvokeErrorMessage((int)errno),
    };

    /// <summary>"Operation not permitted (EPERM)": the form used in exception messages.</summary>
    public static string Describe(this Errno errno) => $"{errno.Text()} ({errno.Name()})";
}
