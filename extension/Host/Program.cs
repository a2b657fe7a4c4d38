using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using OsqueryBpf.Host.Runtime;
using OsqueryBpf.Host.Settings;
using OsqueryBpf.Host.Standalone;
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
        void OnSignal(PosixSignalContext context)
        {
            // The first signal stops us cleanly (deregister, remove the socket); a second one while that is
            // under way gets the default action, so an operator can always end the process.
            if (stop.IsCancellationRequested)
                return;
            context.Cancel = true;
            logger.LogInformation("Received {Signal}; stopping.", context.Signal);
            stop.Cancel();
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        ProbeHost host;
        try
        {
            // Standalone runs are throw-away by default: they must not write into the database of an extension
            // that osqueryd runs on the same host.
            host = ProbeHost.Create(settings, options.DatabasePath ?? (options.Standalone ? StoreOptions.InMemory : null), logger);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or Microsoft.Data.Sqlite.SqliteException)
        {
            logger.LogError("Cannot open the event store: {Problem}", e.Message);
            return ExitCodes.Failure;
        }
        await using (host.ConfigureAwait(false))
        {
            if (options.Standalone)
                return await StandaloneMode.RunAsync(options, host, logger, stop.Token).ConfigureAwait(false);

            var server = new ExtensionServer(new ExtensionServerOptions
            {
                ManagerSocketPath = options.SocketPath,
                Timeout = options.Timeout,
                Interval = options.Interval,
                Version = Version,
            }, TableCatalog.Create(host.Store, settings.EventBased), logger);

            // Register first, then load the probes: osqueryd expects the tables within --extensions_timeout, and
            // the verifier needs seconds of CPU for the file probe.
            _ = server.Registered.ContinueWith(registered =>
            {
                if (!registered.IsCompletedSuccessfully)
                    return;
                host.ApplyEventsExpiry(server.ManagerOptions.GetInt64("events_expiry"), settings);
                host.StartProbes();
            }, TaskScheduler.Default);

            logger.LogDebug("Starting: socket {Socket}, timeout {Timeout} s, interval {Interval} s.",
                options.SocketPath, options.Timeout.TotalSeconds, options.Interval.TotalSeconds);
            var reason = await server.RunAsync(stop.Token).ConfigureAwait(false);
            var code = ExitCodes.From(reason);
            logger.LogInformation("Stopped ({Reason}); exit code {Code}.", reason, code);
            return code;
        }
    }

    /// <summary>"0.1.0+&lt;commit&gt;": the SDK appends the source commit (SourceRevisionId) to the version.</summary>
    private static string InformationalVersion =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private static string Version => InformationalVersion.Split('+')[0];

    /// <summary>The git commit the binary was built from ("-dirty" when ./build.sh saw uncommitted changes).</summary>
    private static string SourceCommit => InformationalVersion.Split('+') is [_, var commit, ..] && commit.Length > 0 ? commit : "unknown";
}
