using System.Collections.Concurrent;
using System.Net.Sockets;
using OsqueryBpf.OsquerydDouble.Codec;

namespace OsqueryBpf.OsquerydDouble;

/// <summary>
/// A test double of osqueryd's ExtensionManager on a temporary UNIX socket, with its own Thrift codec. Like
/// osqueryd it serves each connection on its own thread (TThreadedServer), reads buffered binary Thrift
/// leniently and writes strict headers. It hands out uuids, can refuse registrations, forget an extension
/// (as a restarted osqueryd worker does) or disappear, and records every call.
/// </summary>
public sealed class ExtensionManagerDouble : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, RegistrationRecord> _extensions = [];
    private readonly List<RegistrationRecord> _registrations = [];
    private readonly List<long> _deregistrations = [];
    private readonly ConcurrentQueue<RecordedCall> _calls = new();
    private readonly string? _ownedDirectory;
    private Socket? _listener;
    private Thread? _acceptThread;
    private long _nextUuid;
    private int _duplicatesLeft;

    /// <summary>Creates a double; call <see cref="Start"/> to listen.</summary>
    /// <param name="socketPath">The manager socket path; null for a fresh temporary directory.</param>
    /// <param name="firstUuid">The first uuid handed out; later ones count up.</param>
    public ExtensionManagerDouble(string? socketPath = null, long firstUuid = 12345)
    {
        if (socketPath is null)
        {
            _ownedDirectory = Directory.CreateTempSubdirectory("osqd-").FullName;
            socketPath = Path.Combine(_ownedDirectory, "osquery.em");
        }
        SocketPath = socketPath;
        _nextUuid = firstUuid;
    }

    /// <summary>The manager socket path (pass it as --socket).</summary>
    public string SocketPath { get; }

    /// <summary>Answer this many registerExtension calls with "Duplicate extension registered" first.</summary>
    public int RefuseDuplicateTimes
    {
        get { lock (_gate) return _duplicatesLeft; }
        set { lock (_gate) _duplicatesLeft = value; }
    }

    /// <summary>When set, every registerExtension is refused with this message (a table name conflict, say).</summary>
    public string? RefuseWithMessage { get; set; }

    /// <summary>What options() returns: flag name to value (default and type are filled in).</summary>
    public Dictionary<string, string> Options { get; } = new(StringComparer.Ordinal)
    {
        ["events_expiry"] = "3600",
        ["disable_events"] = "false",
        ["extensions_interval"] = "3",
        ["verbose"] = "false",
    };

    /// <summary>osqueryd's own tables, as osquery_registry lists them (registry 'table', owner_uuid 0). A few of a
    /// Linux osqueryd's; <see cref="WithBpfTables"/> adds the BPF tables osquery 5.23 still has.</summary>
    public List<string> CoreTables { get; } =
        ["time", "processes", "process_events", "socket_events", "file_events", "process_file_events",
         "osquery_registry", "osquery_schedule", "osquery_flags", "osquery_extensions"];

    /// <summary>Imitates osqueryd 5.23, which still has bpf_process_events and bpf_socket_events.</summary>
    public ExtensionManagerDouble WithBpfTables()
    {
        CoreTables.AddRange(["bpf_process_events", "bpf_socket_events"]);
        return this;
    }

    /// <summary>osqueryd's schedule, packs' queries included, as osquery_schedule lists it.</summary>
    public List<ScheduledQueryEntry> Schedule { get; } = [];

    /// <summary>When set, query() answers code 1 with this message whatever the SQL.</summary>
    public string? QueryFailure { get; set; }

    /// <summary>Every call received, in arrival order.</summary>
    public IReadOnlyList<RecordedCall> Calls => [.. _calls];

    /// <summary>Every registerExtension received (accepted or refused), in order.</summary>
    public IReadOnlyList<RegistrationRecord> Registrations { get { lock (_gate) return [.. _registrations]; } }

    /// <summary>The uuids passed to deregisterExtension, in order.</summary>
    public IReadOnlyList<long> Deregistrations { get { lock (_gate) return [.. _deregistrations]; } }

    /// <summary>The currently registered extensions by uuid.</summary>
    public IReadOnlyDictionary<long, RegistrationRecord> Extensions { get { lock (_gate) return new Dictionary<long, RegistrationRecord>(_extensions); } }

    /// <summary>Starts listening (replacing a stale file).</summary>
    public void Start()
    {
        if (File.Exists(SocketPath))
            File.Delete(SocketPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen(64);
        _listener = listener;
        _acceptThread = new Thread(() => AcceptLoop(listener)) { IsBackground = true, Name = "manager-double-accept" };
        _acceptThread.Start();
    }

    /// <summary>Drops every registration without telling the extensions, as a restarted osqueryd worker does.</summary>
    public void ForgetAll()
    {
        lock (_gate)
            _extensions.Clear();
    }

    /// <summary>Stops answering and deletes the socket file, as a stopped osqueryd does.</summary>
    public void Disappear()
    {
        var listener = Interlocked.Exchange(ref _listener, null);
        listener?.Dispose();
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> registrations were accepted; returns the last one.</summary>
    public async Task<RegistrationRecord> WaitForRegistrationAsync(int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            lock (_gate)
            {
                var accepted = _registrations.Where(r => r.Reply.Code == 0).ToList();
                if (accepted.Count >= count)
                    return accepted[count - 1];
            }
            await Task.Delay(20).ConfigureAwait(false);
        }
        throw new TimeoutException($"The extension did not register {count} time(s) within the timeout.");
    }

    /// <summary>The extension socket osqueryd would call for <paramref name="uuid"/>.</summary>
    public string ExtensionSocketPath(long uuid) => $"{SocketPath}.{uuid}";

    /// <summary>A client that calls the extension registered under <paramref name="uuid"/> the way osqueryd does.</summary>
    public ExtensionCaller CallerFor(long uuid) => new(ExtensionSocketPath(uuid));

    private void AcceptLoop(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            new Thread(() => Serve(client)) { IsBackground = true, Name = "manager-double-conn" }.Start();
        }
    }

    private void Serve(Socket client)
    {
        using var _ = client;
        client.ReceiveTimeout = 30_000;
        client.SendTimeout = 30_000;
        using var stream = new NetworkStream(client, ownsSocket: false);
        using var buffered = new BufferedStream(stream, 8192);
        var reader = new ThriftReader(buffered, 16 * 1024 * 1024);
        var writer = new ThriftWriter();
        try
        {
            while (true)
            {
                var message = reader.ReadMessageBeginOrEnd();
                if (message is null)
                    return;
                _calls.Enqueue(new RecordedCall(message.Value.Name, message.Value.SeqId, DateTime.UtcNow));
                var args = reader.ReadStruct();
                writer.Clear();
                Dispatch(message.Value, args, writer);
                var bytes = writer.Written;
                stream.Write(bytes.Array!, bytes.Offset, bytes.Count);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ThriftProtocolError or ObjectDisposedException)
        {
            // A broken or closed connection ends this thread only, as in TThreadedServer.
        }
    }

    private void Dispatch(ThriftMessage message, ThriftStruct args, ThriftWriter w)
    {
        var name = message.Name;
        var seq = message.SeqId;
        switch (name)
        {
            case "ping":
                Reply(w, name, seq, () => w.Status(0, "pong", 0));
                break;
            case "registerExtension":
                var status = Register(args);
                Reply(w, name, seq, () => w.Status(status.Code, status.Message, status.Uuid));
                break;
            case "deregisterExtension":
                var uuid = args.GetI64(1) ?? -1;
                bool known;
                lock (_gate)
                {
                    _deregistrations.Add(uuid);
                    known = _extensions.Remove(uuid);
                }
                Reply(w, name, seq, () =>
                {
                    if (known)
                        w.Status(0, "OK", 0);
                    else
                        w.Status(1, "No extension UUID found", 0);
                });
                break;
            case "extensions":
                Dictionary<long, RegistrationRecord> snapshot;
                lock (_gate)
                    snapshot = new(_extensions);
                WriteResultField(w, name, seq, TType.Map, () =>
                {
                    w.MapBegin(TType.I64, TType.Struct, snapshot.Count);
                    foreach (var (id, r) in snapshot)
                    {
                        w.I64(id);
                        w.FieldBegin(TType.String, 1); w.String(r.Name);
                        w.FieldBegin(TType.String, 2); w.String(r.Version);
                        w.FieldBegin(TType.String, 3); w.String(r.SdkVersion);
                        w.FieldBegin(TType.String, 4); w.String(r.MinSdkVersion);
                        w.FieldStop();
                    }
                });
                break;
            case "options":
                var options = new Dictionary<string, string>(Options);
                WriteResultField(w, name, seq, TType.Map, () =>
                {
                    w.MapBegin(TType.String, TType.Struct, options.Count);
                    foreach (var (flag, value) in options)
                    {
                        w.String(flag);
                        w.FieldBegin(TType.String, 1); w.String(value);
                        w.FieldBegin(TType.String, 2); w.String(value);
                        w.FieldBegin(TType.String, 3); w.String("string");
                        w.FieldStop();
                    }
                });
                break;
            case "shutdown":
                w.MessageBegin(name, MessageType.Reply, seq);
                w.FieldStop();
                break;
            case "query":
                var sql = args.GetString(1) ?? "";
                Dictionary<long, RegistrationRecord> registered;
                lock (_gate)
                    registered = new(_extensions);
                (int Code, string Message, List<Dictionary<string, string>> Rows) result;
                try
                {
                    result = QueryFailure is { } failure
                        ? (1, failure, [])
                        : OsqueryInternalTables.Run(sql, new Dictionary<string, string>(Options), [.. CoreTables], [.. Schedule], registered);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Where SQLite cannot load (a NativeAOT guest without its native library), query() fails as
                    // osqueryd's does on an error, rather than ending the connection thread and the process.
                    result = (1, $"The osqueryd double could not run the query: {e.Message}", []);
                }
                var (code, text, rows) = result;
                WriteResultField(w, name, seq, TType.Struct, () =>
                {
                    w.FieldBegin(TType.Struct, 1);
                    w.Status(code, text, 0);
                    w.FieldBegin(TType.List, 2);
                    w.Rows(rows);
                    w.FieldStop();
                });
                break;
            case "call" or "getQueryColumns":
                WriteResultField(w, name, seq, TType.Struct, () =>
                {
                    w.FieldBegin(TType.Struct, 1);
                    w.Status(1, $"The osqueryd test double does not implement {name}.", 0);
                    w.FieldBegin(TType.List, 2);
                    w.ListBegin(TType.Map, 0);
                    w.FieldStop();
                });
                break;
            default:
                // TApplicationException { 1: message, 2: type UNKNOWN_METHOD (1) }
                w.MessageBegin(name, MessageType.Exception, seq);
                w.FieldBegin(TType.String, 1); w.String($"Invalid method name: '{name}'");
                w.FieldBegin(TType.I32, 2); w.I32(1);
                w.FieldStop();
                break;
        }
    }

    private ExtensionStatusValue Register(ThriftStruct args)
    {
        var info = Decode.Expect<ThriftStruct>(args[1], "InternalExtensionInfo");
        var rawRegistry = Decode.Expect<ThriftMap>(args[2], "ExtensionRegistry");
        var registry = Decode.Registry(rawRegistry);
        var extensionName = info.GetString(1) ?? "";
        ExtensionStatusValue reply;
        lock (_gate)
        {
            if (RefuseWithMessage is { } refusal)
                reply = new(1, refusal, 0);
            else if (_duplicatesLeft > 0 || _extensions.Values.Any(e => e.Name == extensionName))
            {
                if (_duplicatesLeft > 0)
                    _duplicatesLeft--;
                reply = new(1, "Duplicate extension registered", 0);
            }
            else if (registry.TryGetValue("table", out var tables) && tables.Any(t => t.Value.Count == 0))
                reply = new(1, "Invalid route info", 0);
            else if (tables?.Keys.FirstOrDefault(t => CoreTables.Contains(t) || _extensions.Values.Any(e =>
                         e.Registry.TryGetValue("table", out var theirs) && theirs.ContainsKey(t))) is { } clash)
                reply = new(1, $"Registry item {clash} conflicts with another item of the same name.", 0); // all or nothing
            else
                reply = new(0, "OK", _nextUuid++);

            var record = new RegistrationRecord
            {
                Name = extensionName,
                Version = info.GetString(2) ?? "",
                SdkVersion = info.GetString(3) ?? "",
                MinSdkVersion = info.GetString(4) ?? "",
                Registry = registry,
                RawRegistry = rawRegistry,
                RawInfo = info,
                Reply = reply,
            };
            _registrations.Add(record);
            if (reply.Code == 0)
                _extensions[reply.Uuid] = record;
        }
        return reply;
    }

    private static void Reply(ThriftWriter w, string name, int seq, Action writeStatus) =>
        WriteResultField(w, name, seq, TType.Struct, writeStatus);

    /// <summary>Writes a reply whose result struct has field 0 of <paramref name="type"/>.</summary>
    private static void WriteResultField(ThriftWriter w, string name, int seq, TType type, Action writeValue)
    {
        w.MessageBegin(name, MessageType.Reply, seq);
        w.FieldBegin(type, 0);
        writeValue();
        w.FieldStop();
    }

    public void Dispose()
    {
        Disappear();
        if (_ownedDirectory is not null)
        {
            try
            {
                Directory.Delete(_ownedDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
