using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// The libc calls the workloads make directly, so that each check knows the exact syscall, path and fd it
/// expects (the .NET file and socket APIs may use other calls: File.Move without overwrite is link+unlink).
/// </summary>
internal static unsafe partial class Libc
{
    public const int O_WRONLY = 1, O_CREAT = 0x40, O_TRUNC = 0x200, O_CLOEXEC = 0x80000;
    public const int SOCK_STREAM = 1, SOCK_CLOEXEC = 0x80000, IPPROTO_TCP = 6;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenRaw(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseRaw(int fd);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameRaw(string from, string to);

    [LibraryImport("libc", EntryPoint = "chmod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChmodRaw(string path, int mode);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkRaw(string existing, string created);

    [LibraryImport("libc", EntryPoint = "symlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SymlinkRaw(string target, string created);

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirRaw(string path, int mode);

    [LibraryImport("libc", EntryPoint = "rmdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RmdirRaw(string path);

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkRaw(string path);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial byte* RealPathRaw(string path, byte* resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(void* pointer);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketRaw(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static partial int ConnectRaw(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    private static partial int GetSockNameRaw(int fd, byte* address, int* length);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteRaw(int fd, byte* buffer, nint count);

    public static int Open(string path, int flags, int mode) => Check(OpenRaw(path, flags, mode), "open " + path);

    public static void Close(int fd) => Check(CloseRaw(fd), "close");

    public static void Rename(string from, string to) => Check(RenameRaw(from, to), $"rename {from} {to}");

    public static void Chmod(string path, int mode) => Check(ChmodRaw(path, mode), "chmod " + path);

    public static void Link(string existing, string created) => Check(LinkRaw(existing, created), $"link {existing} {created}");

    public static void Symlink(string target, string created) => Check(SymlinkRaw(target, created), $"symlink {target} {created}");

    public static void Mkdir(string path, int mode) => Check(MkdirRaw(path, mode), "mkdir " + path);

    public static void Rmdir(string path) => Check(RmdirRaw(path), "rmdir " + path);

    public static void Unlink(string path) => Check(UnlinkRaw(path), "unlink " + path);

    /// <summary>The path with every symlink resolved (realpath(3)), as the kernel names files and binaries.</summary>
    public static string RealPath(string path)
    {
        var resolved = RealPathRaw(path, null);
        if (resolved is null)
            throw new IOException($"realpath {path} failed with errno {Marshal.GetLastPInvokeError()}.");
        try
        {
            return Marshal.PtrToStringUTF8((nint)resolved)!;
        }
        finally
        {
            Free(resolved);
        }
    }

    /// <summary>socket(2) for TCP in the address's family.</summary>
    public static int TcpSocket(AddressFamily family) =>
        Check(SocketRaw(family == AddressFamily.InterNetworkV6 ? 10 : 2, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP), "socket");

    /// <summary>A blocking connect(2).</summary>
    public static void Connect(int fd, IPEndPoint endPoint)
    {
        var address = SocketAddress(endPoint);
        fixed (byte* p = address)
            Check(ConnectRaw(fd, p, address.Length), $"connect {endPoint}");
    }

    /// <summary>The local port getsockname(2) reports.</summary>
    public static int LocalPort(int fd)
    {
        var buffer = stackalloc byte[128];
        int length = 128;
        Check(GetSockNameRaw(fd, buffer, &length), "getsockname");
        return BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(buffer + 2, 2));
    }

    public static void Write(int fd, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes)
            Check((int)WriteRaw(fd, p, bytes.Length), "write");
    }

    /// <summary>struct sockaddr_in / sockaddr_in6 for the endpoint.</summary>
    private static byte[] SocketAddress(IPEndPoint endPoint)
    {
        var v6 = endPoint.AddressFamily == AddressFamily.InterNetworkV6;
        var address = new byte[v6 ? 28 : 16];
        BinaryPrimitives.WriteUInt16LittleEndian(address, (ushort)(v6 ? 10 : 2));
        BinaryPrimitives.WriteUInt16BigEndian(address.AsSpan(2), (ushort)endPoint.Port);
        endPoint.Address.GetAddressBytes().CopyTo(address, v6 ? 8 : 4);
        return address;
    }

    private static int Check(int result, string call)
    {
        if (result < 0)
            throw new IOException($"{call} failed with errno {Marshal.GetLastPInvokeError()}.");
        return result;
    }
}
