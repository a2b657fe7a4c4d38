using System.Net.Sockets;
using Thrift;
using Thrift.Transport;
using Thrift.Transport.Client;

namespace OsqueryBpf.Osquery.Transport;

/// <summary>Opens client connections to a UNIX-socket Thrift server the way osqueryd's clients do.</summary>
public static class UnixSocketClient
{
    /// <summary>
    /// Connects to <paramref name="path"/> and returns an open buffered transport. Wrap it in
    /// <c>new TBinaryProtocol(transport)</c> (strict write, lax read by default).
    /// </summary>
    /// <param name="path">The socket file path.</param>
    /// <param name="configuration">Message limits for replies.</param>
    /// <param name="readTimeout">How long a single read may wait for the server.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <exception cref="SocketException">No server listens there (AddressNotAvailable when the file is missing, ConnectionRefused when stale).</exception>
    public static async Task<TTransport> ConnectAsync(
        string path, TConfiguration configuration, TimeSpan readTimeout, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var stream = new ReadTimeoutStream(new NetworkStream(socket, ownsSocket: true), readTimeout);
        return new TBufferedTransport(new TStreamTransport(stream, stream, configuration), ThriftSettings.BufferSize);
    }
}
