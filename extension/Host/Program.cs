using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using OsqueryBpf.Host.Runtime;
using OsqueryBpf.Host.Settings;
using OsqueryBpf.Host.Standalone;
using OsqueryBpf.Osquery.Manager;
using OsqueryBpf.Osquery.Server;
using OsqueryBpf.Tables;

namespace OsqueryBpf.Host;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var options = HostOptions.Parse(args, out var error);
        if (options is null)
        {
            Console.Error.WriteLine($"osquery-bpf: {error}");
            Console.Error.WriteLine(HostOptions.Usage);
            return ExitCodes.Usage;
        }
        if (options.ShowHelp)
        {
            Console.Out.WriteLine(HostOptions.Usage);
            return ExitCodes.Success;
        }
        if (options.ShowVersion)
        {
            Console.Out.WriteLine($"osquery-bpf {Version} (commit {SourceCommit})");
            return ExitCodes.Success;
        }

        var logger = new StderrLogger(options.Verbose ? LogLevel.Debug : LogLevel.Information);
        // Should anything escape on a background thread, say what before the runtime aborts the process.
        AppDomain.CurrentDomain.UnhandledException += (_, e) => logger.LogCritical("Unhandled exception: {Exception}", e.ExceptionObject);
        foreach (var warning in options.Warnings)
            logger.LogWarning("{Warning}", warning);
        ExtensionSettings settings;
        try
        {
            settings = ExtensionSettings.Load(options.ConfigPath);
        }
        catch (SettingsException e)
        {
            logger.LogError("{Problem}", e.Message);
            return ExitCodes.Failure;
        }
        if (!options.Standalone && ExtensionServerOptions.ValidateManagerSocketPath(options.SocketPath) is { } badPath)
        {
            logger.LogError("{Problem}", badPath);
            return ExitCodes.Failure;
        }

        // A synchronous generate runs on its own thread, but keep a few pool threads ready anyway so pings
        // never wait for the pool to grow on a 2-core machine.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 8), io);

        using var stop = new CancellationTokenSource();
        ProbeHost? running = null; // for the signals that report or reload
        ExtensionServer? server = null;
        void OnStopSignal(PosixSignalContext context)
        {
            // The first signal stops us cleanly (deregister, remove the socket); a second one while that is
            // under way gets the default action, so an operator can always end the process.
            if (stop.IsCancellationRequested)
                return;
            context.Cancel = true;
            logger.LogInformation("Received {Signal}; stopping.", SignalName(context.Signal));
            stop.Cancel();
        }
        void OnOtherSignal(PosixSignalContext context)
        {
            // Their default action would end the process without deregistering or removing the socket file.
            context.Cancel = true;
            switch ((int)context.Signal)
            {
                case (int)PosixSignal.SIGHUP:
                    ReloadSettings(options, settings, running, server, logger);
                    break;
                case SIGUSR1:
                    LogCounters(running, server, logger);
                    break;
                default:
                    logger.LogInformation("Received {Signal}; ignored (SIGHUP reloads the settings, SIGUSR1 logs the counters).",
                        SignalName(context.Signal));
                    break;
            }
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStopSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStopSignal);
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnStopSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnOtherSignal);
        using var sigusr1 = PosixSignalRegistration.Create((PosixSignal)SIGUSR1, OnOtherSignal);
        using var sigusr2 = PosixSignalRegistration.Create((PosixSignal)SIGUSR2, OnOtherSignal);

        // Standalone runs are throw-away by default: they must not write into the database of an extension that
        // osqueryd runs on the same host. Given a database that another process writes, they read it instead.
        var database = options.DatabasePath ?? (options.Standalone ? StoreOptions.InMemory : null);
        ProbeHost host;
        try
        {
            try
            {
                host = ProbeHost.Create(settings, database, options.ReadOnly, logger);
            }
            catch (StoreInUseException e) when (options.Standalone)
            {
                logger.LogInformation("{Problem} Reading it instead of writing.", e.Message);
                host = ProbeHost.Create(settings, database, readOnly: true, logger);
            }
        }
        catch (StoreInUseException e)
        {
            logger.LogError("Cannot open the event store: {Problem} (--read-only serves its tables read-only, without probes.)", e.Message);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or Microsoft.Data.Sqlite.SqliteException)
        {
            logger.LogError("Cannot open the event store: {Problem}", e.Message);
            return ExitCodes.Failure;
        }
        running = host;
        await using (host.ConfigureAwait(false))
        {
            if (options.Standalone)
            {
                host.UpdateRetention(policy => policy.NoOsqueryd = true); // nothing is scheduled: max_age_seconds as given
                return await StandaloneMode.RunAsync(options, host, logger, stop.Token).ConfigureAwait(false);
            }

            server = new ExtensionServer(new ExtensionServerOptions
            {
                ManagerSocketPath = options.SocketPath,
                Timeout = options.Timeout,
                Interval = options.Interval,
                Version = Version,
                TablesOfferedIfAbsent = TableCatalog.OfferedIfAbsent(settings.DropInTables),
            }, TableCatalog.Create(host.Store, settings.EventBased), logger);

            // Register first, then load the probes: osqueryd expects the tables within --extensions_timeout, and
            // the verifier needs seconds of CPU for the file probe.
            // Retention follows osqueryd's schedule (docs/scheduled-queries.md): read it before the first event
            // arrives, then every interval.
            var schedule = new ScheduleWatcher(new ExtensionManagerClient(options.SocketPath, TimeSpan.FromSeconds(10)), host, logger);
            _ = server.Registered.ContinueWith(async registration =>
            {
                if (!registration.IsCompletedSuccessfully)
                    return;
                await schedule.RefreshAsync(stop.Token).ConfigureAwait(false);
                host.StartProbes();
                await schedule.RunAsync(options.Interval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : options.Interval, stop.Token).ConfigureAwait(false);
            }, TaskScheduler.Default).Unwrap();

            logger.LogDebug("Starting: socket {Socket}, timeout {Timeout} s, interval {Interval} s.",
                options.SocketPath, options.Timeout.TotalSeconds, options.Interval.TotalSeconds);
            var reason = await server.RunAsync(stop.Token).ConfigureAwait(false);
            var code = ExitCodes.From(reason);
            logger.LogInformation("Stopped ({Reason}); exit code {Code}.", reason, code);
            return code;
        }
    }

    private const int SIGUSR1 = 10; // Linux numbers: PosixSignal has no names for these, raw values are allowed
    private const int SIGUSR2 = 12;

    private static string SignalName(PosixSignal signal) => (int)signal switch
    {
        SIGUSR1 => "SIGUSR1",
        SIGUSR2 => "SIGUSR2",
        _ => signal.ToString(),
    };

    /// <summary>
    /// SIGHUP: reads the settings file again. max_rows and max_age_seconds take effect at once (the store's retention
    /// reads them every step); a change to any other key is reported as needing a restart, because it shapes the
    /// probes loaded into the kernel or the database opened. A broken file changes nothing.
    /// </summary>
    private static void ReloadSettings(HostOptions options, ExtensionSettings current, ProbeHost? host, ExtensionServer? server, ILogger logger)
    {
        ExtensionSettings fresh;
        try
        {
            fresh = ExtensionSettings.Load(options.ConfigPath);
        }
        catch (SettingsException e)
        {
            logger.LogError("Received SIGHUP, but the settings file cannot be used; keeping the current settings. {Problem}", e.Message);
            return;
        }
        if (host is null)
            return;
        var store = host.Store.Options;
        store.MaxRowsPerTable = fresh.MaxRows;
        host.UpdateRetention(policy => policy.SettingsMaxAge = fresh.MaxAgeSeconds); // logs each table's retention that changed
        var restart = ExtensionSettings.KeysNeedingRestart(current, fresh);
        logger.LogInformation("Received SIGHUP: settings read again; keeping up to {Rows} rows per table.{Restart}",
            store.MaxRowsPerTable,
            restart.Count == 0 ? "" : $" Changed keys that take effect after a restart: {string.Join(", ", restart)}.");
    }

    /// <summary>SIGUSR1: one line per event table and one for the extension socket.</summary>
    private static void LogCounters(ProbeHost? host, ExtensionServer? server, ILogger logger)
    {
        if (host is not null)
        {
            foreach (var table in host.Store.GetCounters())
                logger.LogInformation("Counters of {Table}: {Received} received, {Written} written, {Dropped} dropped ({Refused} of them by the " +
                                      "ingest budget), {Rows} rows buffered, {LeftOut} rows left out of replies too large for osqueryd.",
                    table.Table, table.Received, table.Written, table.Dropped, table.Refused, table.Rows, table.LeftOut);
        }
        if (server?.Connections is { } connections)
            logger.LogInformation("Extension socket: {Accepted} connections accepted, {Failed} failed, {Shed} closed to make room, {Refused} refused; {Open} open.",
                connections.Accepted, connections.Failed, connections.Shed, connections.Refused, connections.Open);
    }


    /// <summary>"0.1.0+&lt;commit&gt;": the SDK appends the source commit (SourceRevisionId) to the version.</summary>
    private static string InformationalVersion =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private static string Version => InformationalVersion.Split('+')[0];

    /// <summary>The git commit the binary was built from ("-dirty" when ./build.sh saw uncommitted changes).</summary>
    private static string SourceCommit => InformationalVersion.Split('+') is [_, var commit, ..] && commit.Length > 0 ? commit : "unknown";
}
