using OsqueryBpf.Osquery.Thrift;
using OsqueryBpf.Osquery.Transport;
using Thrift;
using Thrift.Protocol;

namespace OsqueryBpf.Osquery.Manager;

/// <summary>
/// Calls osqueryd's ExtensionManager service. Each call uses its own connection, as osqueryd's own clients
/// do: a restarted osqueryd worker recreates the manager socket, and a fresh connection per call follows it
/// without reconnect logic. Calls are rare (once per interval), so the extra connect costs nothing.
/// </summary>
public sealed class ExtensionManagerClient
{
    private readonly TConfiguration _configuration = ThriftSettings.CreateConfiguration();

    /// <summary>Creates a client for the manager socket at <paramref name="socketPath"/>.</summary>
    /// <param name="socketPath">osqueryd's extensions socket.</param>
    /// <param name="callTimeout">Upper bound for one whole call, connect included.</param>
    public ExtensionManagerClient(string socketPath, TimeSpan callTimeout)
    {
        SocketPath = socketPath;
        CallTimeout = callTimeout;
    }

    /// <summary>The manager socket path.</summary>
    public string SocketPath { get; }

    /// <summary>Upper bound for one whole call.</summary>
    public TimeSpan CallTimeout { get; }

    /// <summary>ping(): osqueryd answers code 0, "pong", uuid 0.</summary>
    public Task<ExtensionStatus> PingAsync(CancellationToken cancellationToken = default) =>
        CallAsync((c, ct) => c.ping(ct), cancellationToken);

    /// <summary>registerExtension(info, registry).</summary>
    public Task<ExtensionStatus> RegisterExtensionAsync(
        InternalExtensionInfo info, Dictionary<string, Dictionary<string, List<Dictionary<string, string>>>> registry,
        CancellationToken cancellationToken = default) =>
        CallAsync((c, ct) => c.registerExtension(info, registry, ct), cancellationToken);

    /// <summary>deregisterExtension(uuid).</summary>
    public Task<ExtensionStatus> DeregisterExtensionAsync(long uuid, CancellationToken cancellationToken = default) =>
        CallAsync((c, ct) => c.deregisterExtension(uuid, ct), cancellationToken);

    /// <summary>extensions(): the registered extensions by uuid (osqueryd itself is not listed).</summary>
    public Task<Dictionary<long, InternalExtensionInfo>> ExtensionsAsync(CancellationToken cancellationToken = default) =>
        CallAsync((c, ct) => c.extensions(ct), cancellationToken);

    /// <summary>options(): every osqueryd flag with its value, default and type.</summary>
    public Task<Dictionary<string, InternalOptionInfo>> OptionsAsync(CancellationToken cancellationToken = default) =>
        CallAsync((c, ct) => c.options(ct), cancellationToken);

    /// <summary>
    /// query(sql): runs SQL inside osqueryd (osquery_schedule, osquery_registry, osquery_flags, ...). The reply's
    /// status is code 0 with every row's values as text, or code 1 with SQLite's message; a status other than 0 is
    /// returned as it is, not thrown.
    /// </summary>
    public Task<ExtensionResponse> QueryAsync(string sql, CancellationToken cancellationToken = default) =>
        CallAsync((c, ct) => c.query(sql, ct), cancellationToken);

    private async Task<T> CallAsync<T>(Func<ExtensionManager.Client, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CallTimeout);
        try
        {
            using var transport = await UnixSocketClient.ConnectAsync(SocketPath, _configuration, CallTimeout, timeout.Token).ConfigureAwait(false);
            using var client = new ExtensionManager.Client(new TBinaryProtocol(transport));
            var result = await call(client, timeout.Token).ConfigureAwait(false);
            // Thrift leaves a missing result field as null; treat that as a broken reply, not as success.
            return result ?? throw new TApplicationException(TApplicationException.ExceptionType.MissingResult, "The extension manager sent an empty reply.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The extension manager at '{SocketPath}' did not answer within {CallTimeout.TotalSeconds:0.###} s.");
        }
    }
}
