using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Osquery.Thrift;
using OsqueryBpf.Osquery.Transport;
using Thrift;
using Thrift.Protocol;
using Thrift.Transport;
using Thrift.Transport.Client;

namespace OsqueryBpf.Osquery.Server;

/// <summary>
/// Serves the Extension service on one socket path with a task per connection, so a slow generate never delays
/// a ping (osqueryd opens a new connection per ping and per call). Strangers on the socket cannot lock osqueryd
/// out:
/// <list type="bullet">
/// <item>each request must arrive whole within <see cref="ExtensionServerOptions.RequestTimeout"/>, counted from
/// when the connection starts waiting for it, so a peer trickling one byte at a time cannot hold a slot;</item>
/// <item>unfinished requests may buffer at most <see cref="ExtensionServerOptions.MaxRequestBytes"/> per connection
/// and <see cref="ExtensionServerOptions.MaxBufferedRequestBytes"/> in total, and only bytes that really arrived
/// are buffered;</item>
/// <item>accepting never waits: when every slot is taken, the connection that has waited longest for its request
/// (idle, or sending slowly) is closed to make room, so a new connection, such as osqueryd's next ping, is served
/// at once.</item>
/// </list>
/// A bad connection is closed and counted; it never stops the listener.
/// </summary>
internal sealed class ExtensionListener : IAsyncDisposable
{
    private readonly UnixSocketListener _socket;
    private readonly ExtensionProcessor _processor;
    private readonly ExtensionServerOptions _options;
    private readonly TConfiguration _configuration;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _acceptStop = new(); // stops accepting new connections
    private readonly CancellationTokenSource _stopping = new(); // cancels requests still open after the drain
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Connection> _open = [];
    private readonly HashSet<Task> _tasks = [];
    private Task? _acceptLoop;
    private long _nextId;
    private long _bufferedBytes; // beyond each connection's base buffer, over all connections
    private long _connectionsAccepted;
    private long _connectionsFailed;
    private long _connectionsShed;
    private long _connectionsRefused;
    private long _lastPressureLog = long.MinValue / 2; // Environment.TickCount64 of the last warning

    public ExtensionListener(string path, Extension.IAsync handler, TablePluginRouter router, GenerateSlots slots,
        ExtensionServerOptions options, ILogger logger, MemoryTrimmer? trimmer = null)
    {
        _socket = new UnixSocketListener(path);
        _options = options;
        _configuration = ThriftSettings.CreateConfiguration(options.MaxRequestBytes);
        _processor = new ExtensionProcessor(handler, router, slots, logger, options.MaxReplyBytes, options.ReplyTimeout, trimmer);
        _logger = logger;
    }

    public string Path => _socket.Path;

    /// <summary>Connections accepted so far.</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);

    /// <summary>Connections closed because of bad input, a timeout or a transport error.</summary>
    public long ConnectionsFailed => Interlocked.Read(ref _connectionsFailed);

    /// <summary>Waiting connections closed to make room for new ones or for another request's bytes.</summary>
    public long ConnectionsShed => Interlocked.Read(ref _connectionsShed);

    /// <summary>Connections closed at once because every slot was busy with a request.</summary>
    public long ConnectionsRefused => Interlocked.Read(ref _connectionsRefused);

    /// <summary>Bytes buffered now for unfinished requests, beyond each connection's base buffer.</summary>
    public long BufferedBytes => Interlocked.Read(ref _bufferedBytes);

    /// <summary>Connections open now.</summary>
    public int OpenConnections
    {
        get { lock (_gate) return _open.Count; }
    }

    /// <summary>Binds the socket (replacing a stale file) and starts accepting.</summary>
    public void Start()
    {
        _socket.Listen();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        var token = _acceptStop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                _logger.LogWarning("Accepting a connection on {Path} failed: {Message}", Path, e.Message);
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false); // e.g. out of file descriptors: do not spin
                continue;
            }
            Interlocked.Increment(ref _connectionsAccepted);
            Admit(client);
        }
    }

    /// <summary>Gives the new connection a slot, closing the longest-waiting one when all are taken.</summary>
    private void Admit(Socket client)
    {
        Connection? victim = null;
        Connection connection;
        lock (_gate)
        {
            if (_open.Count >= _options.MaxConnections)
            {
                victim = OldestWaiting(except: null, holdingBytes: false);
                if (victim is null)
                {
                    // Every slot is in the middle of a request (generates queue in the router, so this takes a
                    // burst of hundreds of calls): refuse the newcomer rather than cut a request short.
                    Interlocked.Increment(ref _connectionsRefused);
                    client.Dispose();
                    WarnAboutPressure();
                    return;
                }
                _open.Remove(victim.Id);
            }
            connection = new Connection(++_nextId, client, _stopping.Token);
            _open.Add(connection.Id, connection);
        }
        if (victim is not null)
            Shed(victim);
        var task = Task.Run(() => ServeAsync(connection), CancellationToken.None);
        lock (_gate)
            _tasks.Add(task);
        _ = task.ContinueWith(t => { lock (_gate) _tasks.Remove(t); }, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The connection that has waited longest for its next request (with buffered bytes, if asked).</summary>
    private Connection? OldestWaiting(Connection? except, bool holdingBytes)
    {
        Connection? oldest = null;
        foreach (var candidate in _open.Values)
        {
            if (candidate == except || !candidate.Waiting || (holdingBytes && Interlocked.Read(ref candidate.Charged) == 0))
                continue;
            if (oldest is null || candidate.WaitingSince < oldest.WaitingSince)
                oldest = candidate;
        }
        return oldest;
    }

    /// <summary>Closes a waiting connection and gives its buffer budget back at once.</summary>
    private void Shed(Connection victim)
    {
        Interlocked.Increment(ref _connectionsShed);
        Interlocked.Add(ref _bufferedBytes, -Interlocked.Exchange(ref victim.Charged, 0));
        victim.Abort();
        WarnAboutPressure();
    }

    /// <summary>
    /// Charges <paramref name="bytes"/> more of unfinished request to <paramref name="connection"/>. When the total
    /// budget is spent, the longest-waiting other connections holding buffered bytes are closed to make room; false
    /// when that is not enough.
    /// </summary>
    private bool TryCharge(Connection connection, int bytes)
    {
        while (true)
        {
            var used = Interlocked.Read(ref _bufferedBytes);
            if (used + bytes <= _options.MaxBufferedRequestBytes)
            {
                if (Interlocked.CompareExchange(ref _bufferedBytes, used + bytes, used) != used)
                    continue;
                Interlocked.Add(ref connection.Charged, bytes);
                return true;
            }
            Connection? victim;
            lock (_gate)
            {
                victim = OldestWaiting(except: connection, holdingBytes: true);
                if (victim is null || victim.WaitingSince > connection.WaitingSince)
                    return false; // only connections that have waited longer than this one give way
                _open.Remove(victim.Id);
            }
            Shed(victim);
        }
    }

    private static void Release(ref long charged, ref long total, int bytes)
    {
        // A shed connection's charge was already given back; never release more than is still charged.
        while (true)
        {
            var current = Interlocked.Read(ref charged);
            var amount = Math.Min(current, bytes);
            if (Interlocked.CompareExchange(ref charged, current - amount, current) == current)
            {
                Interlocked.Add(ref total, -amount);
                return;
            }
        }
    }

    private async Task ServeAsync(Connection connection)
    {
        var token = connection.Token;
        var reader = new RequestReader(connection.Socket, _options.MaxRequestBytes, _configuration.RecursionLimit,
            bytes => TryCharge(connection, bytes), bytes => Release(ref connection.Charged, ref _bufferedBytes, bytes));
        var stream = new NetworkStream(connection.Socket, ownsSocket: true);
        using var output = new TBufferedTransport(new TStreamTransport(null, stream, _configuration), ThriftSettings.BufferSize);
        var outputProtocol = new TBinaryProtocol(output); // strict write, like osqueryd
        try
        {
            while (true)
            {
                connection.StartWaiting();
                ArraySegment<byte>? message;
                using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(token))
                {
                    deadline.CancelAfter(_options.RequestTimeout);
                    try
                    {
                        message = await reader.ReadMessageAsync(deadline.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!token.IsCancellationRequested)
                    {
                        throw new TimeoutException($"No complete request within {_options.RequestTimeout.TotalSeconds:0.###} s " +
                                                   $"({reader.Pending} bytes of one had arrived).");
                    }
                }
                if (message is not { } bytes)
                    return; // the peer closed the connection between requests: the normal end of an osqueryd call
                connection.StartRequest();
                using var input = new TStreamTransport(new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false), null, _configuration);
                var inputProtocol = new TBinaryProtocol(input); // lax read, like osqueryd
                if (!await _processor.ProcessAsync(inputProtocol, outputProtocol, token).ConfigureAwait(false))
                    return;
                reader.CompleteMessage();
            }
        }
        catch (Exception) when (token.IsCancellationRequested)
        {
            // Shed to make room, or the listener is stopping.
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _connectionsFailed);
            _logger.LogDebug("Closed a connection on {Path}: {Kind}: {Message}", Path, e.GetType().Name, e.Message);
        }
        finally
        {
            lock (_gate)
                _open.Remove(connection.Id);
            Interlocked.Add(ref _bufferedBytes, -Interlocked.Exchange(ref connection.Charged, 0));
            connection.Dispose();
        }
    }

    /// <summary>At most one warning per ten seconds: a flood must not turn into a flood of log lines.</summary>
    private void WarnAboutPressure()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastPressureLog);
        if (now - last < 10_000 || Interlocked.CompareExchange(ref _lastPressureLog, now, last) != last)
            return;
        _logger.LogWarning(
            "Too many connections on {Path} ({Max} slots): {Shed} waiting connections (idle, or slow to send their request) " +
            "were closed to make room and {Refused} were refused so far; osqueryd's own calls are still served.",
            Path, _options.MaxConnections, ConnectionsShed, ConnectionsRefused);
    }

    public async ValueTask DisposeAsync()
    {
        await _acceptStop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose(); // also removes the socket file
        if (_acceptLoop is not null)
            await _acceptLoop.ConfigureAwait(false);
        Task[] open;
        lock (_gate)
            open = [.. _tasks];
        // Let requests in flight finish (the reply to shutdown() in particular), then cancel what is left:
        // idle connections waiting for another request and generate calls that outlast the grace period.
        await Task.WhenAny(Task.WhenAll(open), Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(open), Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        _acceptStop.Dispose();
        _stopping.Dispose();
    }

    /// <summary>One accepted connection and what the listener needs to know to shed it.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly CancellationTokenSource _cancel;
        private int _waiting;

        public Connection(long id, Socket socket, CancellationToken stopping)
        {
            Id = id;
            Socket = socket;
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            Token = _cancel.Token;
            StartWaiting();
        }

        public long Id { get; }

        public Socket Socket { get; }

        public CancellationToken Token { get; }

        /// <summary>Bytes of this connection's unfinished request charged to the listener's budget.</summary>
        public long Charged;

        /// <summary>True while the connection waits for (the rest of) a request; only such connections are shed.</summary>
        public bool Waiting => Volatile.Read(ref _waiting) != 0;

        /// <summary>Environment.TickCount64 when it started waiting for its current request.</summary>
        public long WaitingSince { get; private set; }

        public void StartWaiting()
        {
            WaitingSince = Environment.TickCount64;
            Volatile.Write(ref _waiting, 1);
        }

        public void StartRequest() => Volatile.Write(ref _waiting, 0);

        /// <summary>Ends whatever the connection is waiting for; its task then closes it.</summary>
        public void Abort()
        {
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose() => _cancel.Dispose();
    }
}
