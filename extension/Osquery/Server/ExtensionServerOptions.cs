using OsqueryBpf.Osquery.Transport;

namespace OsqueryBpf.Osquery.Server;

/// <summary>Settings of <see cref="ExtensionServer"/>; the first three come from osqueryd's command line.</summary>
public sealed class ExtensionServerOptions
{
    /// <summary>
    /// The longest manager socket path accepted. Linux's sun_path holds 108 bytes; osquery-go caps the manager
    /// path at 97 characters so that "." plus a five-digit uuid still fits under its 103-character limit.
    /// </summary>
    public const int MaxManagerSocketPathLength = 97;

    /// <summary>The shortest watch interval and wait, as in osquery's ExtensionWatcher.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>osqueryd's extensions socket (<c>--socket</c>).</summary>
    public required string ManagerSocketPath { get; init; }

    /// <summary>How long to wait for the manager socket and to retry a duplicate-name refusal (<c>--timeout</c>).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How often to check that osqueryd is alive and still lists us (<c>--interval</c>).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The extension name osqueryd shows in osquery_extensions; must be unique among extensions.</summary>
    public string Name { get; init; } = "osquery-bpf";

    /// <summary>The extension version shown in osquery_extensions.</summary>
    public string Version { get; init; } = "0.0.0";

    /// <summary>
    /// The sdk_version sent at registration. osqueryd refuses numeric values below 1.7.7; an empty value always
    /// passes (osquery-go sends it), so that is the default.
    /// </summary>
    public string SdkVersion { get; init; } = "";

    /// <summary>Upper bound for one call to the manager, connect included.</summary>
    public TimeSpan ManagerCallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Tables registered only when osqueryd has no table of that name (osquery_registry, read through query() before
    /// every registration): osqueryd refuses a name clash, and refuses the whole registration with it. When query()
    /// fails they are left out, so a clash can never cost the other tables.
    /// </summary>
    public IReadOnlyCollection<string> TablesOfferedIfAbsent { get; init; } = [];

    /// <summary>
    /// How long a connection may take to deliver a whole request, counted from when it starts waiting for one
    /// (right after it connects, or after the previous reply). osqueryd writes each request in one go as soon as
    /// it connects, so this only ends idle and trickling connections.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the peer may take to read a reply before the connection is closed.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Connections open at once. osqueryd opens one per ping and per call and closes it after the reply, so a
    /// handful is normal; when all are taken, the one that has waited longest for its request is closed.
    /// </summary>
    public int MaxConnections { get; init; } = 256;

    /// <summary>
    /// The largest request read. Requests to an extension are small (a call with a context JSON); 16 MiB leaves
    /// room for huge IN lists.
    /// </summary>
    public int MaxRequestBytes { get; init; } = ThriftSettings.DefaultMaxMessageSize;

    /// <summary>
    /// Bytes all connections together may hold in unfinished requests, beyond a 4 KiB buffer each. When it is
    /// spent, connections that have waited longer for the rest of their request are closed first.
    /// </summary>
    public long MaxBufferedRequestBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>
    /// The largest call reply sent; a bigger table result is answered with status code 1 and a message saying
    /// so (or, for a table that chooses to, with the rows that fit). osqueryd (Thrift C++ 0.17) refuses messages
    /// over 100 MiB, so the default stays well below that.
    /// </summary>
    public int MaxReplyBytes { get; init; } = ExtensionProcessor.DefaultMaxReplyBytes;

    /// <summary>
    /// Generates that run at once. Each holds its reply (up to <see cref="MaxReplyBytes"/>) while it runs, so this
    /// bounds the memory of concurrent queries (docs/memory.md); others wait their turn.
    /// </summary>
    public int MaxConcurrentGenerates { get; init; } = 2;

    /// <summary>Generates that may wait for a turn; beyond that a call fails at once with status code 1.</summary>
    public int MaxQueuedGenerates { get; init; } = 16;

    /// <summary>The socket path osqueryd expects for uuid <paramref name="uuid"/>: "&lt;manager&gt;.&lt;uuid&gt;".</summary>
    public string ExtensionSocketPath(long uuid) => $"{ManagerSocketPath}.{uuid}";

    /// <summary>Checks the manager path; returns null when usable, otherwise a sentence saying why not.</summary>
    public static string? ValidateManagerSocketPath(string? path)
    {
        if (string.IsNullOrEmpty(path))
            return "The osquery extensions socket path is empty; pass --socket PATH.";
        if (path.Length > MaxManagerSocketPathLength)
            return $"The osquery extensions socket path is {path.Length} characters long; at most {MaxManagerSocketPathLength} fit, " +
                   "because '.<uuid>' is appended and a UNIX socket address holds 108 bytes.";
        return null;
    }
}
