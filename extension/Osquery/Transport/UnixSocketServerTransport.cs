using System.Net.Sockets;
using Thrift;
using Thrift.Transport;
using Thrift.Transport.Client;

namespace OsqueryBpf.Osquery.Transport;

/// <summary>
/// A Thrift server transport listening on a UNIX domain stream socket, as osqueryd's TServerSocket(path)
/// does. Apache Thrift's C# library has none. <see cref="Listen"/> replaces a stale file at the path;
/// <see cref="Close"/> removes the socket file.
/// </summary>
public sealed class UnixSocketServerTransport : TServerTransport
{
    private readonly TimeSpan _readTimeout;
    private readonly Lock _gate = new();
    private Socket? _listener; // null until Listen and after Close

    /// <summary>Creates a transport for <paramref name="path"/>; nothing is bound until <see cref="Listen"/>.</summary>
    /// <param name="path">The socket file path.</param>
    /// <param name="configuration">Message limits for accepted connections.</param>
    /// <param name="readTimeout">How long an accepted connection may stay silent while a read is pending.</param>
    public UnixSocketServerTransport(string path, TConfiguration configuration, TimeSpan readTimeout)
        : base(configuration)
    {
        Path = path;
        _readTimeout = readTimeout;
    }

    /// <summary>The socket file path.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public override bool IsOpen()
    {
        lock (_gate)
            return _listener is not null;
    }

    /// <inheritdoc/>
    public override void Listen()
    {
        lock (_gate)
        {
            if (_listener is not null)
                return;
            RemoveStaleFile(Path);
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Bind(new UnixDomainSocketEndPoint(Path));
                socket.Listen(128);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            _listener = socket;
        }
    }

    /// <inheritdoc/>
    public override void Close()
    {
        Socket? listener;
        lock (_gate)
        {
            listener = _listener;
            _listener = null;
        }
        if (listener is null)
            return;
        listener.Dispose();
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

    /// <inheritdoc/>
    public override bool IsClientPending()
    {
        lock (_gate)
            return _listener?.Poll(0, SelectMode.SelectRead) ?? false;
    }

    /// <inheritdoc/>
    protected override async ValueTask<TTransport> AcceptImplementationAsync(CancellationToken cancellationToken)
    {
        Socket listener;
        lock (_gate)
            listener = _listener ?? throw new TTransportException(TTransportException.ExceptionType.NotOpen, $"The socket '{Path}' is not listening.");
        try
        {
            var client = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            var stream = new ReadTimeoutStream(new NetworkStream(client, ownsSocket: true), _readTimeout);
            return new TStreamTransport(stream, stream, Configuration);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            throw new TTransportException(TTransportException.ExceptionType.Interrupted, $"Accepting on '{Path}' stopped: {e.Message}");
        }
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
