using System.Net.Sockets;
using OsqueryBpf.OsquerydDouble.Codec;

namespace OsqueryBpf.OsquerydDouble;

/// <summary>
/// Calls an extension the way osqueryd does (osquery-protocol.md 1.4 and 2.6): a new UNIX socket connection
/// per request, seqid 0, strict-write binary protocol written in one buffered flush, and before each
/// call a ping on its own connection (extensionPathActive). Replies are decoded by the double's own codec.
/// </summary>
public sealed class ExtensionCaller
{
    public ExtensionCaller(string socketPath) => SocketPath = socketPath;

    /// <summary>The extension socket, &lt;manager&gt;.&lt;uuid&gt;.</summary>
    public string SocketPath { get; }

    /// <summary>Receive timeout per request (osqueryd uses 300 s; tests want less).</summary>
    public TimeSpan ReceiveTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether to ping on a separate connection before every call, as osqueryd does.</summary>
    public bool PingBeforeCall { get; init; } = true;

    /// <summary>ping() on a new connection.</summary>
    public ExtensionStatusValue Ping()
    {
        var w = new ThriftWriter();
        w.MessageBegin("ping", MessageType.Call, 0);
        w.FieldStop();
        var result = Exchange(w, "ping");
        return Decode.Status(Decode.Expect<ThriftStruct>(result[0], "ping result"));
    }

    /// <summary>call(registry, item, request) on a new connection, after a ping on another one.</summary>
    public CallReply Call(string registry, string item, IReadOnlyDictionary<string, string> request)
    {
        if (PingBeforeCall)
        {
            var pong = Ping();
            if (pong.Code == 1)
                throw new IOException($"Extension socket not available: {SocketPath}");
        }
        var w = new ThriftWriter();
        w.MessageBegin("call", MessageType.Call, 0);
        w.FieldBegin(TType.String, 1); w.String(registry);
        w.FieldBegin(TType.String, 2); w.String(item);
        w.FieldBegin(TType.Map, 3); w.StringMap(request);
        w.FieldStop();
        using var socket = Connect();
        return ExchangeOn(socket, w, "call", ReadCallResult);
    }

    /// <summary>{"action":"generate","context":json}; context omitted when null.</summary>
    public CallReply Generate(string table, string? contextJson)
    {
        var request = new Dictionary<string, string> { ["action"] = "generate" };
        if (contextJson is not null)
            request["context"] = contextJson;
        return Call("table", table, request);
    }

    /// <summary>
    /// A generate that only counts the rows of the reply, skipping the strings without decoding them, so a
    /// benchmark measures the extension rather than this client. No pre-ping.
    /// </summary>
    public int GenerateCountingRows(string table, string contextJson)
    {
        var w = new ThriftWriter();
        w.MessageBegin("call", MessageType.Call, 0);
        w.FieldBegin(TType.String, 1); w.String("table");
        w.FieldBegin(TType.String, 2); w.String(table);
        w.FieldBegin(TType.Map, 3); w.StringMap(new Dictionary<string, string> { ["action"] = "generate", ["context"] = contextJson });
        w.FieldStop();
        using var socket = Connect();
        return ExchangeOn(socket, w, "call", reader =>
        {
            // call_result { 0: { 1: status, 2: list<map<string,string>> } }: walk it, counting the maps.
            var rows = 0;
            while ((TType)reader.ReadByte() is var type && type != TType.Stop)
            {
                reader.ReadI16();
                if (type != TType.Struct)
                {
                    reader.ReadValue(type);
                    continue;
                }
                while ((TType)reader.ReadByte() is var fieldType && fieldType != TType.Stop)
                {
                    var id = reader.ReadI16();
                    if (id != 2 || fieldType != TType.List)
                    {
                        reader.ReadValue(fieldType);
                        continue;
                    }
                    reader.ReadByte();
                    rows = reader.ReadI32();
                    for (var i = 0; i < rows; i++)
                    {
                        reader.ReadByte();
                        reader.ReadByte();
                        var pairs = reader.ReadI32();
                        for (var p = 0; p < 2 * pairs; p++)
                            reader.SkipString();
                    }
                }
            }
            return rows;
        });
    }

    /// <summary>{"action":"columns"}.</summary>
    public CallReply Columns(string table) => Call("table", table, new Dictionary<string, string> { ["action"] = "columns" });

    /// <summary>shutdown(): waits for the empty reply.</summary>
    public void Shutdown()
    {
        var w = new ThriftWriter();
        w.MessageBegin("shutdown", MessageType.Call, 0);
        w.FieldStop();
        Exchange(w, "shutdown");
    }

    /// <summary>
    /// Sends raw bytes on a new connection and returns what came back, and whether the extension closed the
    /// connection, within <paramref name="wait"/> (or once <paramref name="stopAfterBytes"/> arrived).
    /// Used to feed bad input.
    /// </summary>
    public RawExchange SendRaw(ReadOnlySpan<byte> bytes, TimeSpan wait, bool closeSendSide = false, int stopAfterBytes = int.MaxValue)
    {
        using var socket = Connect();
        socket.ReceiveTimeout = (int)wait.TotalMilliseconds;
        if (bytes.Length > 0)
            socket.Send(bytes);
        if (closeSendSide)
            socket.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        var buffer = new byte[65536];
        var closed = false;
        try
        {
            while (true)
            {
                var n = socket.Receive(buffer);
                if (n == 0)
                {
                    closed = true;
                    break;
                }
                received.Write(buffer, 0, n);
                if (received.Length >= stopAfterBytes)
                    break;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset)
        {
            closed = true;
        }
        return new RawExchange(received.ToArray(), closed);
    }

    /// <summary>Sends a request on a new connection and returns the result struct of a REPLY.</summary>
    private ThriftStruct Exchange(ThriftWriter request, string method)
    {
        using var socket = Connect();
        return ExchangeOn(socket, request, method);
    }

    internal ThriftStruct ExchangeOn(Socket socket, ThriftWriter request, string method) =>
        ExchangeOn(socket, request, method, r => r.ReadStruct());

    /// <summary>
    /// Reads call_result { 0: ExtensionResponse { 1: status, 2: list&lt;map&lt;string,string&gt;&gt; } } straight into
    /// rows, checking the wire types, without building the generic value tree (large generates).
    /// </summary>
    private static CallReply ReadCallResult(ThriftReader reader)
    {
        ExtensionStatusValue? status = null;
        List<Dictionary<string, string>>? rows = null;
        while (true)
        {
            var type = (TType)reader.ReadByte();
            if (type == TType.Stop)
                break;
            var id = reader.ReadI16();
            if (id != 0 || type != TType.Struct)
            {
                reader.ReadValue(type);
                continue;
            }
            while (true)
            {
                var fieldType = (TType)reader.ReadByte();
                if (fieldType == TType.Stop)
                    break;
                var fieldId = reader.ReadI16();
                if (fieldId == 1 && fieldType == TType.Struct)
                    status = Decode.Status(reader.ReadStruct());
                else if (fieldId == 2 && fieldType == TType.List)
                    rows = ReadRows(reader);
                else
                    reader.ReadValue(fieldType);
            }
        }
        if (status is null)
            throw new ThriftProtocolError("The call reply has no ExtensionResponse status (MISSING_RESULT in osqueryd).");
        return new CallReply(status, rows ?? []);
    }

    private static List<Dictionary<string, string>> ReadRows(ThriftReader reader)
    {
        var elementType = (TType)reader.ReadByte();
        var count = reader.ReadI32();
        if (count < 0)
            throw new ThriftProtocolError($"Negative row count {count}.");
        if (count > 0 && elementType != TType.Map)
            throw new ThriftProtocolError($"Expected list<map>, got list<{elementType}>.");
        var rows = new List<Dictionary<string, string>>(Math.Min(count, 1 << 16));
        for (var i = 0; i < count; i++)
        {
            var keyType = (TType)reader.ReadByte();
            var valueType = (TType)reader.ReadByte();
            var pairs = reader.ReadI32();
            if (pairs < 0)
                throw new ThriftProtocolError($"Negative map size {pairs}.");
            if (pairs > 0 && (keyType != TType.String || valueType != TType.String))
                throw new ThriftProtocolError($"Expected map<string,string>, got map<{keyType},{valueType}>.");
            var row = new Dictionary<string, string>(Math.Min(pairs, 1024), StringComparer.Ordinal);
            for (var p = 0; p < pairs; p++)
            {
                var key = reader.ReadString();
                row[key] = reader.ReadString();
            }
            rows.Add(row);
        }
        return rows;
    }

    internal T ExchangeOn<T>(Socket socket, ThriftWriter request, string method, Func<ThriftReader, T> readResult)
    {
        var bytes = request.Written;
        socket.Send(bytes.AsSpan()); // one write: the buffered transport flushes once per message
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var buffered = new BufferedStream(stream, 65536);
        var reader = new ThriftReader(buffered);
        var header = reader.ReadMessageBeginOrEnd()
            ?? throw new IOException($"The extension closed the connection without answering {method}.");
        if (header.Type == MessageType.Exception)
        {
            var ex = reader.ReadStruct();
            throw new ThriftApplicationError(ex.GetI32(2) ?? 0, ex.GetString(1) ?? "");
        }
        if (header.Type != MessageType.Reply)
            throw new ThriftProtocolError($"Expected a REPLY to {method}, got {header.Type}.");
        if (header.Name != method)
            throw new ThriftProtocolError($"Expected a reply named {method}, got {header.Name}.");
        LastReplyWasStrict = header.Strict;
        LastReplySeqId = header.SeqId;
        return readResult(reader);
    }

    /// <summary>Whether the last reply had a strict (versioned) header, as osqueryd's strict-write peers send.</summary>
    public bool LastReplyWasStrict { get; private set; }

    /// <summary>The seqid of the last reply.</summary>
    public int LastReplySeqId { get; private set; }

    internal Socket Connect()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
            socket.ReceiveTimeout = (int)ReceiveTimeout.TotalMilliseconds;
            socket.SendTimeout = (int)ReceiveTimeout.TotalMilliseconds;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Opens one long-lived connection for repeated pings (benchmarks; osqueryd never does this).</summary>
    public PersistentConnection OpenPersistent() => new(this, Connect());
}

/// <summary>A TApplicationException reply.</summary>
public sealed class ThriftApplicationError(int type, string message) : Exception(message)
{
    /// <summary>The TApplicationException type (1 = unknown method, 6 = internal error, ...).</summary>
    public int Type { get; } = type;
}

/// <summary>One connection reused for many requests.</summary>
public sealed class PersistentConnection : IDisposable
{
    private readonly ExtensionCaller _caller;
    private readonly Socket _socket;
    private readonly ThriftWriter _ping = new();

    internal PersistentConnection(ExtensionCaller caller, Socket socket)
    {
        _caller = caller;
        _socket = socket;
        _ping.MessageBegin("ping", MessageType.Call, 0);
        _ping.FieldStop();
    }

    public ExtensionStatusValue Ping() =>
        Decode.Status(Decode.Expect<ThriftStruct>(_caller.ExchangeOn(_socket, _ping, "ping")[0], "ping result"));

    public void Dispose() => _socket.Dispose();
}

/// <summary>What a raw exchange produced: the bytes received and whether the peer closed the connection.</summary>
public sealed record RawExchange(byte[] Received, bool ClosedByPeer);
