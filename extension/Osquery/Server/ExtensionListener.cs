using Microsoft.Extensions.Logging;
using OsqueryBpf.Osquery.Thrift;
using OsqueryBpf.Osquery.Transport;
using Thrift;
using Thrift.Protocol;
using Thrift.Transport;

namespace OsqueryBpf.Osquery.Server;

/// <summary>
/// Serves the Extension service on one socket path with a task per connection, so a slow generate never
/// delays a ping (osqueryd opens a new connection per ping and per call). A bad connection is closed and
/// counted; it never stops the listener.
/// </summary>
internal sealed class ExtensionListener : IAsyncDisposable
{
    /// <summary>
    /// Connections served at once. osqueryd opens one per ping and per call and closes it after the reply,
    /// so a handful is normal; the cap bounds memory (two buffers each) if something floods the socket.
    /// </summary>
    public const int MaxConcurrentConnections = 256;

    private readonly UnixSocketServerTransport _transport;
    private readonly Extension.AsyncProcessor _processor;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _acceptStop = new(); // stops accepting new connections
    private readonly CancellationTokenSource _stopping = new(); // cancels requests still open after the drain
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _connections = [];
    private Task? _acceptLoop;
    private long _connectionsAccepted;
    private long _connectionsFailed;
    private long _lastRefusalLog = long.MinValue / 2; // Environment.TickCount64 of the last refusal warning

    public ExtensionListener(
        string path, Extension.IAsync handler, TConfiguration configuration, TimeSpan readTimeout, ILogger logger,
        int maxReplyBytes = ExtensionProcessor.DefaultMaxReplyBytes)
    {
        _transport = new UnixSocketServerTransport(path, configuration, readTimeout);
        _processor = new ExtensionProcessor(handler, logger, maxReplyBytes);
        _logger = logger;
    }

    public string Path => _transport.Path;

    /// <summary>Connections accepted so far.</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);

    /// <summary>Connections closed because of bad input, a timeout or a transport error.</summary>
    public long ConnectionsFailed => Interlocked.Read(ref _connectionsFailed);

    /// <summary>Binds the socket (replacing a stale file) and starts accepting.</summary>
    public void Start()
    {
        _transport.Listen();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        var token = _acceptStop.Token;
        while (!token.IsCancellationRequested)
        {
            TTransport client;
            try
            {
                client = await _transport.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (TTransportException e)
            {
                _logger.LogWarning("Accepting a connection on {Path} failed: {Message}", Path, e.Message);
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false); // e.g. out of file descriptors: do not spin
                continue;
            }
            Interlocked.Increment(ref _connectionsAccepted);
            int open;
            lock (_gate)
                open = _connections.Count;
            if (open >= MaxConcurrentConnections)
            {
                var refused = Interlocked.Increment(ref _connectionsFailed);
                // Once per second at most: a flood must not turn into a flood of log lines.
                var now = Environment.TickCount64;
                if (now - Interlocked.Exchange(ref _lastRefusalLog, now) >= 1000)
                    _logger.LogWarning("Refusing connections on {Path}: {Count} are already open ({Refused} refused or failed so far).", Path, open, refused);
                client.Dispose();
                continue;
            }
            var task = Task.Run(() => ServeConnectionAsync(client, _stopping.Token), CancellationToken.None);
            lock (_gate)
                _connections.Add(task);
            _ = task.ContinueWith(t => { lock (_gate) _connections.Remove(t); }, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeConnectionAsync(TTransport client, CancellationToken token)
    {
        using var buffered = new TBufferedTransport(client, ThriftSettings.BufferSize);
        var protocol = new TBinaryProtocol(buffered); // strict write, lax read, like osqueryd
        try
        {
            while (!token.IsCancellationRequested)
            {
                // Each message may use the full size limit; the count is per message, not per connection.
                buffered.ResetMessageSizeAndConsumedBytes(-1);
                if (!await _processor.ProcessAsync(protocol, protocol, token).ConfigureAwait(false))
                    return;
            }
        }
        catch (TTransportException e) when (e.Type == TTransportException.ExceptionType.EndOfFile && e.Message != "MaxMessageSize reached")
        {
            // The peer closed the connection between messages: the normal end of an osqueryd call.
        }
        catch (Exception) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _connectionsFailed);
            _logger.LogDebug("Closed a connection on {Path}: {Kind}: {Message}", Path, e.GetType().Name, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _acceptStop.CancelAsync().ConfigureAwait(false);
        _transport.Close(); // also removes the socket file
        if (_acceptLoop is not null)
            await _acceptLoop.ConfigureAwait(false);
        Task[] open;
        lock (_gate)
            open = [.. _connections];
        // Let requests in flight finish (the reply to shutdown() in particular), then cancel what is left:
        // idle connections waiting for another request and generate calls that outlast the grace period.
        await Task.WhenAny(Task.WhenAll(open), Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(open), Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        _acceptStop.Dispose();
        _stopping.Dispose();
    }
}
