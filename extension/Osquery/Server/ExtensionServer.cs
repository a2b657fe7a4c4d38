using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OsqueryBpf.Osquery.Manager;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Osquery.Thrift;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Thrift;
using Thrift.Protocol;
using Thrift.Transport;

namespace OsqueryBpf.Osquery.Server;

/// <summary>
/// The extension's lifecycle against osqueryd (osquery-protocol.md section 2): wait for the manager socket,
/// register the tables, listen on &lt;socket&gt;.&lt;uuid&gt;, read options() once, then every interval ping the
/// manager and check that extensions() still lists our uuid. A forgotten registration (osqueryd worker
/// restart) is renewed with a new uuid and socket; a vanished manager ends the run so osqueryd's watcher can
/// restart us. <see cref="RunAsync"/> returns why it stopped; it does not throw for protocol failures.
/// </summary>
public sealed class ExtensionServer
{
    private const string DuplicateMessage = "Duplicate extension registered";

    private readonly ExtensionServerOptions _options;
    private readonly TablePluginRouter _router;
    private readonly GenerateSlots _slots; // shared by the listeners of successive registrations
    private readonly MemoryTrimmer _trimmer;
    private readonly ExtensionManagerClient _manager;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _shutdownRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ExtensionListener? _listener;
    private int _registrations;

    /// <summary>Creates a server for <paramref name="tables"/>; nothing happens until <see cref="RunAsync"/>.</summary>
    /// <exception cref="ArgumentException">The manager socket path is unusable, or the tables are invalid.</exception>
    public ExtensionServer(ExtensionServerOptions options, IEnumerable<ITablePlugin> tables, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problem = ExtensionServerOptions.ValidateManagerSocketPath(options.ManagerSocketPath);
        if (problem is not null)
            throw new ArgumentException(problem, nameof(options));
        _options = options;
        _router = new TablePluginRouter(tables);
        _slots = new GenerateSlots(options.MaxConcurrentGenerates, options.MaxQueuedGenerates);
        _trimmer = new MemoryTrimmer(_slots);
        _manager = new ExtensionManagerClient(options.ManagerSocketPath, options.ManagerCallTimeout);
        _logger = logger;
    }

    /// <summary>Completes when the first registration succeeded and the extension socket is listening.</summary>
    public Task Registered => _registered.Task;

    /// <summary>The uuid osqueryd gave us, 0 before registering.</summary>
    public long Uuid => Volatile.Read(ref _uuid);
    private long _uuid;

    /// <summary>How many times we registered (more than 1 after osqueryd forgot us).</summary>
    public int Registrations => Volatile.Read(ref _registrations);

    /// <summary>The socket we listen on, or null when not listening.</summary>
    public string? ExtensionSocketPath => _listener?.Path;

    /// <summary>The listener of the current registration (connection counters), or null when not listening.</summary>
    internal ExtensionListener? Listener => _listener;

    /// <summary>Counters of the extension socket, or null when not listening.</summary>
    public ConnectionCounters? Connections => _listener is { } listener
        ? new ConnectionCounters(listener.ConnectionsAccepted, listener.ConnectionsFailed, listener.ConnectionsShed,
            listener.ConnectionsRefused, listener.OpenConnections)
        : null;

    /// <summary>osqueryd's flags, read once after the first registration; empty until then or if that failed.</summary>
    public ManagerOptions ManagerOptions { get; private set; } = ManagerOptions.Empty;

    /// <summary>The table router (routes, call dispatch).</summary>
    public TablePluginRouter Router => _router;

    /// <summary>Asks <see cref="RunAsync"/> to stop as if osqueryd had called shutdown().</summary>
    public void RequestShutdown() => _shutdownRequested.TrySetResult();

    /// <summary>Runs until shutdown, cancellation, loss of the manager or a refused registration.</summary>
    public async Task<ExtensionExitReason> RunAsync(CancellationToken cancellationToken = default)
    {
        var reason = ExtensionExitReason.Cancelled;
        try
        {
            reason = await RunCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            reason = ExtensionExitReason.Cancelled;
        }
        finally
        {
            await StopAsync(deregister: reason is not ExtensionExitReason.ManagerGone).ConfigureAwait(false);
            if (!_registered.Task.IsCompleted)
                _registered.TrySetException(new InvalidOperationException($"The extension never registered: {reason}."));
        }
        return reason;
    }

    private async Task<ExtensionExitReason> RunCoreAsync(CancellationToken cancellationToken)
    {
        if (!await WaitForManagerAsync(cancellationToken).ConfigureAwait(false))
            return ExtensionExitReason.ManagerUnavailable;

        var failure = await RegisterAndListenAsync(cancellationToken).ConfigureAwait(false);
        if (failure is not null)
            return failure.Value;

        await ReadOptionsAsync(cancellationToken).ConfigureAwait(false);
        _registered.TrySetResult();
        return await WatchAsync(cancellationToken).ConfigureAwait(false);
    }

    private TimeSpan Interval => _options.Interval < ExtensionServerOptions.MinimumInterval ? ExtensionServerOptions.MinimumInterval : _options.Interval;

    private TimeSpan Timeout => _options.Timeout < ExtensionServerOptions.MinimumInterval ? ExtensionServerOptions.MinimumInterval : _options.Timeout;

    /// <summary>Waits up to the timeout for a manager that answers ping, with exponential backoff.</summary>
    private async Task<bool> WaitForManagerAsync(CancellationToken cancellationToken)
    {
        var pipeline = new ResiliencePipelineBuilder()
            .AddTimeout(Timeout)
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsManagerUnreachable),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(20),
                MaxDelay = TimeSpan.FromMilliseconds(500),
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    _logger.LogDebug("Waiting for the osquery extensions socket {Path} (attempt {Attempt}): {Message}",
                        _options.ManagerSocketPath, args.AttemptNumber + 1, args.Outcome.Exception?.Message);
                    return default;
                },
            })
            .Build();
        try
        {
            await pipeline.ExecuteAsync(async ct => await _manager.PingAsync(ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is TimeoutRejectedException || IsManagerUnreachable(e))
        {
            _logger.LogError("No osquery extension manager answered at {Path} within {Seconds} s: {Message}",
                _options.ManagerSocketPath, Timeout.TotalSeconds, e.Message);
            return false;
        }
    }

    /// <summary>Registers (retrying a duplicate-name refusal until the timeout), then listens on the new socket.</summary>
    private async Task<ExtensionExitReason?> RegisterAndListenAsync(CancellationToken cancellationToken)
    {
        ExtensionStatus? last = null;
        var info = new InternalExtensionInfo
        {
            Name = _options.Name,
            Version = _options.Version,
            Sdk_version = _options.SdkVersion,
            Min_sdk_version = "",
        };
        var pipeline = new ResiliencePipelineBuilder<ExtensionStatus>()
            .AddTimeout(Timeout)
            .AddRetry(new RetryStrategyOptions<ExtensionStatus>
            {
                // A duplicate name clears once osqueryd's health check drops our previous instance.
                ShouldHandle = new PredicateBuilder<ExtensionStatus>()
                    .HandleResult(IsDuplicate)
                    .Handle<Exception>(IsManagerUnreachable),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(50),
                MaxDelay = TimeSpan.FromSeconds(1),
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    _logger.LogInformation("Registration not accepted yet ({Reason}); retrying in {Delay} ms.",
                        args.Outcome.Result?.Message ?? args.Outcome.Exception?.Message, (int)args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            .Build();

        var leaveOut = await TablesOsquerydHasAsync(cancellationToken).ConfigureAwait(false);
        var registry = _router.BuildRegistry(leaveOut);
        ExtensionStatus status;
        try
        {
            status = await pipeline.ExecuteAsync(async ct =>
            {
                var result = await _manager.RegisterExtensionAsync(info, registry, ct).ConfigureAwait(false);
                last = result;
                return result;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutRejectedException || IsManagerUnreachable(e))
        {
            if (last is not null && IsDuplicate(last))
            {
                _logger.LogError("osqueryd still has an extension named '{Name}' registered after {Seconds} s ({Message}); giving up.",
                    _options.Name, Timeout.TotalSeconds, last.Message);
                return ExtensionExitReason.DuplicateName;
            }
            _logger.LogError("Registering with osqueryd at {Path} failed: {Message}", _options.ManagerSocketPath, e.Message);
            return ExtensionExitReason.ManagerUnavailable;
        }

        if (IsDuplicate(status))
            return ExtensionExitReason.DuplicateName;
        if (status.Code == 1)
        {
            _logger.LogError("osqueryd refused the registration of '{Name}': {Message}", _options.Name, status.Message);
            return ExtensionExitReason.RegistrationRefused;
        }

        var uuid = status.Uuid;
        var path = _options.ExtensionSocketPath(uuid);
        var listener = new ExtensionListener(path, new ExtensionHandler(() => _router.Uuid, RequestShutdown), _router, _slots,
            _options, _logger, _trimmer);
        try
        {
            listener.Start();
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            _logger.LogError("Listening on {Path} failed: {Message}", path, e.Message);
            await listener.DisposeAsync().ConfigureAwait(false);
            await DeregisterAsync(uuid).ConfigureAwait(false);
            return ExtensionExitReason.ListenFailed;
        }
        _router.Uuid = uuid;
        Volatile.Write(ref _uuid, uuid);
        _listener = listener;
        Interlocked.Increment(ref _registrations);
        RegisteredTables = registry[TablePluginRouter.TableRegistry].Keys.ToArray();
        _logger.LogInformation("Registered extension '{Name}' with uuid {Uuid}; serving {Count} table(s) on {Path}.",
            _options.Name, uuid, RegisteredTables.Count, path);
        return null;
    }

    /// <summary>The tables of the current registration (without those osqueryd has itself).</summary>
    public IReadOnlyCollection<string> RegisteredTables { get; private set; } = [];

    /// <summary>
    /// Which of <see cref="ExtensionServerOptions.TablesOfferedIfAbsent"/> to leave out: those osqueryd's registry
    /// lists (osqueryd refuses a clash, and with it every table), or all of them when query() does not answer.
    /// </summary>
    private async Task<IReadOnlySet<string>?> TablesOsquerydHasAsync(CancellationToken cancellationToken)
    {
        var optional = _options.TablesOfferedIfAbsent;
        if (optional.Count == 0)
            return null;
        var names = string.Join(", ", optional.Select(n => "'" + n.Replace("'", "''", StringComparison.Ordinal) + "'"));
        try
        {
            var reply = await _manager.QueryAsync(
                $"SELECT name FROM osquery_registry WHERE registry = 'table' AND name IN ({names})", cancellationToken).ConfigureAwait(false);
            if (reply.Status is { Code: 0 })
            {
                var present = (reply.Response ?? []).Select(r => r?.GetValueOrDefault("name")).OfType<string>().ToHashSet(StringComparer.Ordinal);
                foreach (var name in optional.Where(present.Contains))
                    _logger.LogInformation("osqueryd has its own '{Table}'; registering ours without it.", name);
                return present;
            }
            _logger.LogWarning("osqueryd's query() answered {Code} ({Message}) when asked for its tables; not offering {Tables}, which could clash.",
                reply.Status?.Code, reply.Status?.Message, string.Join(", ", optional));
        }
        catch (Exception e) when (IsManagerUnreachable(e))
        {
            _logger.LogWarning("osqueryd's query() failed when asked for its tables ({Message}); not offering {Tables}, which could clash.",
                e.Message, string.Join(", ", optional));
        }
        return optional.ToHashSet(StringComparer.Ordinal);
    }

    private async Task ReadOptionsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var options = await _manager.OptionsAsync(cancellationToken).ConfigureAwait(false);
            var values = new Dictionary<string, string>(options.Count, StringComparer.Ordinal);
            foreach (var (name, info) in options)
            {
                if (name is not null)
                    values[name] = info?.Value ?? "";
            }
            ManagerOptions = new ManagerOptions(values);
            _logger.LogDebug("Read {Count} osqueryd options.", values.Count);
        }
        catch (Exception e) when (IsManagerUnreachable(e))
        {
            _logger.LogWarning("Could not read osqueryd's options(); using defaults: {Message}", e.Message);
        }
    }

    /// <summary>Every interval: is the manager alive, and does it still list our uuid?</summary>
    private async Task<ExtensionExitReason> WatchAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var tick = Task.Delay(Interval, cancellationToken);
            if (await Task.WhenAny(tick, _shutdownRequested.Task).ConfigureAwait(false) == _shutdownRequested.Task)
            {
                _logger.LogInformation("osqueryd asked the extension to shut down.");
                return ExtensionExitReason.ShutdownRequested;
            }
            await tick.ConfigureAwait(false); // throws when cancelled

            if (!File.Exists(_options.ManagerSocketPath))
            {
                _logger.LogInformation("osquery core has gone away: {Path} no longer exists.", _options.ManagerSocketPath);
                return ExtensionExitReason.ManagerGone;
            }

            Dictionary<long, InternalExtensionInfo> registered;
            try
            {
                var pong = await _manager.PingAsync(cancellationToken).ConfigureAwait(false);
                if (pong.Code == 1)
                {
                    _logger.LogInformation("osquery core has gone away: ping answered '{Message}'.", pong.Message);
                    return ExtensionExitReason.ManagerGone;
                }
                registered = await _manager.ExtensionsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsManagerUnreachable(e))
            {
                _logger.LogInformation("osquery core has gone away: {Message}", e.Message);
                return ExtensionExitReason.ManagerGone;
            }

            if (registered.TryGetValue(Uuid, out var entry) && string.Equals(entry?.Name, _options.Name, StringComparison.Ordinal))
                continue;

            _logger.LogWarning("osqueryd no longer lists extension uuid {Uuid} (its worker restarted?); registering again.", Uuid);
            await StopListeningAsync().ConfigureAwait(false);
            var failure = await RegisterAndListenAsync(cancellationToken).ConfigureAwait(false);
            // A manager that stops answering while we re-register is gone, not unavailable: exit 0 and let
            // osqueryd's watcher restart us.
            if (failure is ExtensionExitReason.ManagerUnavailable)
                return ExtensionExitReason.ManagerGone;
            if (failure is not null)
                return failure.Value;
        }
    }

    private async Task StopAsync(bool deregister)
    {
        var uuid = Uuid;
        if (deregister && _listener is not null && uuid != 0)
            await DeregisterAsync(uuid).ConfigureAwait(false);
        await StopListeningAsync().ConfigureAwait(false);
    }

    private async Task StopListeningAsync()
    {
        var listener = _listener;
        _listener = null;
        if (listener is not null)
            await listener.DisposeAsync().ConfigureAwait(false);
    }

    private async Task DeregisterAsync(long uuid)
    {
        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var status = await _manager.DeregisterExtensionAsync(uuid, quick.Token).ConfigureAwait(false);
            _logger.LogDebug("deregisterExtension({Uuid}) answered {Code}: {Message}", uuid, status.Code, status.Message);
        }
        catch (Exception e) when (IsManagerUnreachable(e) || e is OperationCanceledException)
        {
            _logger.LogDebug("deregisterExtension({Uuid}) failed: {Message}", uuid, e.Message);
        }
    }

    private static bool IsDuplicate(ExtensionStatus status) =>
        status.Code == 1 && string.Equals(status.Message, DuplicateMessage, StringComparison.Ordinal);

    /// <summary>Failures that mean "no healthy manager at the other end", as opposed to bugs.</summary>
    private static bool IsManagerUnreachable(Exception e) =>
        e is SocketException or IOException or TimeoutException or TTransportException or TProtocolException or TApplicationException
            or ObjectDisposedException;
}
