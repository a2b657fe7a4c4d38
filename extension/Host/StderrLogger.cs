using System.Globalization;
using Microsoft.Extensions.Logging;

namespace OsqueryBpf.Host;

/// <summary>
/// Logs one line per message to stderr, which osqueryd leaves attached to the extension's parent's stderr.
/// Format: "2026-11-24T16:00:00.123Z osquery-bpf[1234] INFO message".
/// </summary>
internal sealed class StderrLogger(LogLevel minimum) : ILogger
{
    private static readonly Lock Gate = new();
    private static readonly int ProcessId = Environment.ProcessId;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
            return;
        var level = logLevel switch
        {
            LogLevel.Trace => "TRACE",
            LogLevel.Debug => "DEBUG",
            LogLevel.Information => "INFO",
            LogLevel.Warning => "WARN",
            LogLevel.Error => "ERROR",
            _ => "FATAL",
        };
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} osquery-bpf[{ProcessId}] {level} {formatter(state, exception)}");
        if (exception is not null && logLevel >= LogLevel.Error)
            line += Environment.NewLine + exception;
        lock (Gate)
            Console.Error.WriteLine(line);
    }
}
