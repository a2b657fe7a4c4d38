using System.Runtime.InteropServices;
using System.Text;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>The few libc calls the file tests make from this process, with byte paths (names need not be UTF-8).</summary>
internal static unsafe partial class TestLibc
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;
    public const int AT_REMOVEDIR = 0x200;

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenAt(int dirfd, byte* path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int UnlinkAt(int dirfd, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int MkdirAt(int dirfd, byte* path, int mode);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static partial int Fchmod(int fd, int mode);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "gettid")]
    public static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    public static int OpenAt(int dirfd, byte[] path, int flags, int mode = 0)
    {
        fixed (byte* p = Terminated(path))
            return Check(OpenAt(dirfd, p, flags, mode), "openat");
    }

    public static void UnlinkAt(int dirfd, byte[] path, int flags)
    {
        fixed (byte* p = Terminated(path))
            Check(UnlinkAt(dirfd, p, flags), "unlinkat");
    }

    public static void MkdirAt(int dirfd, byte[] path, int mode)
    {
        fixed (byte* p = Terminated(path))
            Check(MkdirAt(dirfd, p, mode), "mkdirat");
    }

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static int Check(int result, string call)
    {
        if (result < 0)
            throw new InvalidOperationException($"{call} failed with errno {Marshal.GetLastPInvokeError()}.");
        return result;
    }

    private static byte[] Terminated(byte[] path) => [.. path, 0];
}
