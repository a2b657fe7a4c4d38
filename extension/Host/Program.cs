using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using OsqueryBpf.Osquery.Server;

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
            Console.Out.WriteLine($"osquery-bpf {Version}");
            return ExitCodes.Success;
        }

        var logger = new StderrLogger(options.Verbose ? LogLevel.Debug : LogLevel.Information);
        foreach (var warning in options.Warnings)
            logger.LogWarning("{Warning}", warning);
        if (ExtensionServerOptions.ValidateManagerSocketPath(options.SocketPath) is { } badPath)
        {
            logger.LogError("{Problem}", badPath);
            return ExitCodes.Failure;
        }

        // A synchronous generate runs on its own thread, but keep a few pool threads ready anyway so pings
        // never wait for the pool to grow on a 2-core machine.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 8), io);

        var server = new ExtensionServer(new ExtensionServerOptions
        {
            ManagerSocketPath = options.SocketPath,
            Timeout = options.Timeout,
            Interval = options.Interval,
            Version = Version,
        }, TableCatalog.Create(options), logger);

        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            // The first signal stops us cleanly (deregister, remove the socket); a second one while that is
            // under way gets the default action, so an operator can always end the process.
            if (stop.IsCancellationRequested)
                return;
            context.Cancel = true;
            logger.LogInformation("Received {Signal}; deregistering and stopping.", context.Signal);
            stop.Cancel();
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        logger.LogDebug("Starting: socket {Socket}, timeout {Timeout} s, interval {Interval} s.",
            options.SocketPath, options.Timeout.TotalSeconds, options.Interval.TotalSeconds);
        var reason = await server.RunAsync(stop.Token).ConfigureAwait(false);
        var code = ExitCodes.From(reason);
        logger.LogInformation("Stopped ({Reason}); exit code {Code}.", reason, code);
        return code;
    }

    private static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
