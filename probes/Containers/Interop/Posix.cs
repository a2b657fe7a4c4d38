using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace OsqueryBpf.Containers.Interop;

/// <summary>What lstat/fstat say about a file: the facts .NET's file APIs do not expose.</summary>
/// <param name="Inode">st_ino: on cgroupfs, the cgroup id.</param>
/// <param name="OwnerUid">st_uid.</param>
/// <param name="IsRegularFile">S_ISREG.</param>
/// <param name="IsDirectory">S_ISDIR.</param>
/// <param name="IsSymbolicLink">S_ISLNK (lstat only).</param>
/// <param name="Size">st_size.</param>
internal readonly record struct FileFacts(ulong Inode, uint OwnerUid, bool IsRegularFile, bool IsDirectory, bool IsSymbolicLink, long Size);

/// <summary>
/// The few POSIX calls this library needs (lstat, and opening a file beneath a directory without following
/// any symbolic link and without blocking on a FIFO), over Tmds.LibC. The only unsafe code of the library.
/// </summary>
internal static unsafe class Posix
{
    private const int S_IFMT = 0xF000;
    private const int S_IFREG = 0x8000;
    private const int S_IFDIR = 0x4000;
    private const int S_IFLNK = 0xA000;
    private const ulong RESOLVE_NO_XDEV = 0x01;
    private const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    private const ulong RESOLVE_NO_SYMLINKS = 0x04;
    private const ulong RESOLVE_BENEATH = 0x08;

    /// <summary>lstat(2); null with the errno when it fails.</summary>
    public static FileFacts? Lstat(string path, out int errno)
    {
        var bytes = NulTerminated(path);
        stat st;
        fixed (byte* p = bytes)
        {
            if (lstat(p, &st) != 0)
            {
                errno = LibC.errno;
                return null;
            }
        }
        errno = 0;
        return Facts(st);
    }

    /// <summary>
    /// Opens <paramref name="relativePath"/> beneath <paramref name="directory"/> read-only with openat2(2):
    /// no symbolic link in any component (RESOLVE_NO_SYMLINKS), nothing outside the directory
    /// (RESOLVE_BENEATH), no other mount, O_NONBLOCK so a FIFO cannot hang the caller. The handle is
    /// returned with what fstat says about it; the caller checks that it is a regular file of a sane size.
    /// </summary>
    public static SafeFileHandle? OpenBeneath(string directory, string relativePath, out FileFacts facts, out int errno)
    {
        facts = default;
        var dirBytes = NulTerminated(directory);
        int dirFd;
        fixed (byte* d = dirBytes)
            dirFd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (dirFd < 0)
        {
            errno = LibC.errno;
            return null;
        }
        try
        {
            var fileBytes = NulTerminated(relativePath);
            open_how how = default;
            how.flags = (ulong)(O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
            how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
            int fd;
            fixed (byte* f = fileBytes)
                fd = (int)openat2(dirFd, f, &how, (size_t)sizeof(open_how));
            if (fd < 0)
            {
                errno = LibC.errno;
                return null;
            }
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            stat st;
            if (fstat(fd, &st) != 0)
            {
                errno = LibC.errno;
                handle.Dispose();
                return null;
            }
            facts = Facts(st);
            errno = 0;
            return handle;
        }
        finally
        {
            close(dirFd);
        }
    }

    /// <summary>The text of an errno value (strerror).</summary>
    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    private static FileFacts Facts(in stat st)
    {
        int type = (int)st.st_mode & S_IFMT;
        return new FileFacts((ulong)st.st_ino, (uint)st.st_uid, type == S_IFREG, type == S_IFDIR, type == S_IFLNK, (long)st.st_size);
    }

    private static byte[] NulTerminated(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
