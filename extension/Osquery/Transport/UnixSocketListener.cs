using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace OsqueryBpf.Osquery.Transport;

/// <summary>
/// A listening UNIX domain stream socket at a path, as osqueryd's TServerSocket(path) makes. <see cref="Listen"/>
/// replaces a stale file at the path; <see cref="Dispose"/> closes the socket and removes the file. The socket file
/// is 0600 (only root may connect), whatever the umask.
/// </summary>
internal sealed class UnixSocketListener : IDisposable
{
    /// <summary>
    /// Pending connections the kernel queues for us. Accepting never waits on anything else, so the queue only
    /// absorbs bursts; it is deep enough that a burst of strangers does not make osqueryd's connect wait.
    /// </summary>
    private const int Backlog = 512;

    private readonly Lock _gate = new();
    private Socket? _socket; // null until Listen and after Dispose

    public UnixSocketListener(string path) => Path = path;

    /// <summary>The socket file path.</summary>
    public string Path { get; }

    /// <summary>Only the owner may connect: a query through the socket reads every stored event.</summary>
    internal const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Binds and listens, replacing a leftover file at the path.</summary>
    public void Listen()
    {
        lock (_gate)
        {
            if (_socket is not null)
                return;
            RemoveStaleFile(Path);
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                RestrictBeforeBind(socket);
                socket.Bind(new UnixDomainSocketEndPoint(Path));
                socket.Listen(Backlog);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            _socket = socket;
        }
    }

    /// <summary>The next connection.</summary>
    /// <exception cref="ObjectDisposedException">The listener was closed.</exception>
    public ValueTask<Socket> AcceptAsync(CancellationToken cancellationToken)
    {
        Socket socket;
        lock (_gate)
            socket = _socket ?? throw new ObjectDisposedException(nameof(UnixSocketListener), $"The socket '{Path}' is not listening.");
        return socket.AcceptAsync(cancellationToken);
    }

    /// <summary>Stops listening and removes the socket file.</summary>
    public void Dispose()
    {
        Socket? socket;
        lock (_gate)
        {
            socket = _socket;
            _socket = null;
        }
        if (socket is null)
            return;
        socket.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Another process may have replaced it already; nothing of ours is left to remove.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Sets the mode the socket file will be created with, before it exists. Linux's bind(2) of an AF_UNIX socket
    /// creates the file with the socket inode's own mode minus the umask (net/unix/af_unix.c: <c>S_IFSOCK |
    /// (SOCK_INODE(sock)->i_mode &amp; ~current_umask())</c>), and fchmod(2) on the socket's fd sets that inode's mode.
    /// So the file is born 0600 (narrower under a strict umask) and there is no moment between bind and listen when
    /// another user could connect. Changing the umask around bind would do the same, but the umask belongs to the
    /// whole process: another thread creating a file meanwhile (the store, the logger) would get the wrong mode.
    /// A chmod of the path after bind would leave a window. fchmod through a SafeFileHandle that does not own the
    /// descriptor keeps this free of our own native calls.
    /// </summary>
    internal static void RestrictBeforeBind(Socket socket)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("UNIX socket modes are a Linux matter.");
        using var handle = new SafeFileHandle(socket.Handle, ownsHandle: false);
        File.SetUnixFileMode(handle, SocketMode);
    }

    /// <summary>
    /// Removes a leftover socket file at the path, as osquery's C++ SDK does before binding: the name
    /// <c>&lt;manager&gt;.&lt;uuid&gt;</c> belongs to whichever extension osqueryd gave that uuid, which is us now.
    /// </summary>
    internal static void RemoveStaleFile(string path)
    {
        if (File.Exists(path))
            File.Delete(path);
    }
}
