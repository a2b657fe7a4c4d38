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
    private readonly LinkedList<Connection> _waiting = []; // connections waiting for a request, longest-waiting first
    private readonly Dictionary<int, int> _perPeer = []; // open connections per peer process id
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
        var peer = PeerProcessId(client);
        lock (_gate)
        {
            if (_open.Count >= _options.MaxConnections)
            {
                victim = OldestWaitingOfBusiestPeer() ?? OldestWaiting(except: null, holdingBytes: false);
                if (victim is null)
                {
                    // Every slot is in the middle of a request (generates queue for a turn, so this takes a
                    // burst of hundreds of calls): refuse the newcomer rather than cut a request short.
                    Interlocked.Increment(ref _connectionsRefused);
                    client.Dispose();
                    WarnAboutPressure();
                    return;
                }
                Remove(victim);
            }
            connection = new Connection(++_nextId, client, peer, _stopping.Token);
            _open.Add(connection.Id, connection);
            _perPeer[peer] = _perPeer.GetValueOrDefault(peer) + 1;
            connection.WaitingSince = Environment.TickCount64;
            connection.WaitingNode = _waiting.AddLast(connection);
        }
        if (victim is not null)
            Shed(victim);
        var task = Task.Run(() => ServeAsync(connection), CancellationToken.None);
        lock (_gate)
            _tasks.Add(task);
        _ = task.ContinueWith(t => { lock (_gate) _tasks.Remove(t); }, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// The connection that has waited longest for its next request (only ones holding buffered bytes, if asked).
    /// One whose request has already arrived but not been read yet (osqueryd writes its request as soon as it
    /// connects) is passed over: under a storm of connections its reader may simply not have run yet. Called with
    /// the gate held.
    /// </summary>
    private Connection? OldestWaiting(Connection? except, bool holdingBytes)
    {
        const int MaxPassedOver = 32; // bounds the work per accept under a storm
        Connection? fallback = null;
        var passed = 0;
        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            var candidate = node.Value;
            if (candidate == except || (holdingBytes && Interlocked.Read(ref candidate.Charged) == 0))
                continue;
            if (!candidate.HasUnreadBytes())
                return candidate;
            fallback ??= candidate;
            if (++passed == MaxPassedOver)
                break;
        }
        return fallback;
    }

    /// <summary>
    /// The longest-waiting connection of the peer process that holds the most connections: a stranger that opens
    /// hundreds of connections, however fast it reconnects, only ever closes its own, and osqueryd (a connection
    /// or two at a time) keeps its slots. Null when no peer holds more than one connection. Called with the gate held.
    /// </summary>
    private Connection? OldestWaitingOfBusiestPeer()
    {
        var busiest = -1;
        var most = 1;
        foreach (var (pid, count) in _perPeer)
        {
            if (count > most)
                (busiest, most) = (pid, count);
        }
        if (busiest == -1)
            return null;
        Connection? fallback = null;
        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            var candidate = node.Value;
            if (candidate.PeerPid != busiest)
                continue;
            if (!candidate.HasUnreadBytes())
                return candidate;
            fallback ??= candidate;
        }
        return fallback;
    }

    /// <summary>The process id at the other end of a UNIX socket (SO_PEERCRED), or 0 when unknown.</summary>
    private static int PeerProcessId(Socket socket)
    {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } from getsockopt(SOL_SOCKET, SO_PEERCRED).
        const int SolSocket = 1;
        const int SoPeerCred = 17;
        Span<byte> credentials = stackalloc byte[12];
        try
        {
            return socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) >= 4
                ? System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(credentials)
                : 0;
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    /// <summary>Marks <paramref name="connection"/> as waiting for a request (or not) in the queue of waiting connections.</summary>
    private void SetWaiting(Connection connection, bool waiting)
    {
        lock (_gate)
        {
            if (waiting && connection.WaitingNode is not null)
                return; // already waiting since it was accepted: it keeps its place
            if (connection.WaitingNode is { } node)
            {
                _waiting.Remove(node);
                connection.WaitingNode = null;
            }
            if (waiting && _open.ContainsKey(connection.Id))
            {
                connection.WaitingSince = Environment.TickCount64;
                connection.WaitingNode = _waiting.AddLast(connection);
            }
        }
    }

    /// <summary>Forgets a connection; called with the gate held.</summary>
    private void Remove(Connection connection)
    {
        if (!_open.Remove(connection.Id))
            return;
        if (_perPeer.GetValueOrDefault(connection.PeerPid) <= 1)
            _perPeer.Remove(connection.PeerPid);
        else
            _perPeer[connection.PeerPid]--;
        if (connection.WaitingNode is { } node)
        {
            _waiting.Remove(node);
            connection.WaitingNode = null;
        }
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
                Remove(victim);
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
                SetWaiting(connection, waiting: true);
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
                SetWaiting(connection, waiting: false);
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
                Remove(connection);
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
        int busiest = 0, most = 0;
        lock (_gate)
        {
            foreach (var (pid, count) in _perPeer)
            {
                if (count > most)
                    (busiest, most) = (pid, count);
            }
        }
        _logger.LogWarning(
            "Too many connections on {Path} ({Max} slots): {Shed} waiting connections (idle, or slow to send their request) " +
            "were closed to make room and {Refused} were refused so far; process {Pid} holds {Count} of them. Each newcomer " +
            "closes a connection of the process that holds the most, so osqueryd's own calls are still served.",
            Path, _options.MaxConnections, ConnectionsShed, ConnectionsRefused, busiest, most);
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

        public Connection(long id, Socket socket, int peerPid, CancellationToken stopping)
        {
            Id = id;
            Socket = socket;
            PeerPid = peerPid;
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            Token = _cancel.Token;
        }

        public long Id { get; }

        public Socket Socket { get; }

        /// <summary>The process at the other end (SO_PEERCRED), 0 when unknown.</summary>
        public int PeerPid { get; }

        public CancellationToken Token { get; }

        /// <summary>Bytes of this connection's unfinished request charged to the listener's budget.</summary>
        public long Charged;

        /// <summary>Its place in the queue of connections waiting for a request; null while it serves one (listener's gate).</summary>
        public LinkedListNode<Connection>? WaitingNode { get; set; }

        /// <summary>Environment.TickCount64 when it started waiting for its current request.</summary>
        public long WaitingSince { get; set; }

        /// <summary>Whether bytes have arrived that its reader has not taken yet.</summary>
        public bool HasUnreadBytes()
        {
            try
            {
                return Socket.Available > 0;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }

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
