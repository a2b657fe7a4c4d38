using Microsoft.Extensions.Logging;
using OsqueryBpf.Host.Runtime;
using OsqueryBpf.Tables.Standalone;

namespace OsqueryBpf.Host.Standalone;

/// <summary>
/// Runs the probes and the store without osqueryd and answers SQL over the same tables: one statement with
/// --query, or an interactive prompt. The tables have the names and columns osqueryd would show.
/// </summary>
internal static class StandaloneMode
{
    public static async Task<int> RunAsync(HostOptions options, ProbeHost host, ILogger logger, CancellationToken stop)
    {
        host.StartProbes();
        using var query = host.Store.OpenStandaloneQuery();
        if (options.Query is { } sql)
        {
            // Answer only once every probe has started or failed, so ebpf_probes and the event tables are meaningful.
            host.WaitForProbes(TimeSpan.FromMinutes(2));
            if (options.Collect > TimeSpan.Zero)
            {
                logger.LogInformation("Collecting events for {Seconds} s.", options.Collect.TotalSeconds);
                try
                {
                    await Task.Delay(options.Collect, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
            return await AnswerAsync(query, host, sql, options.Json, Console.Out, stop).ConfigureAwait(false) ? ExitCodes.Success : ExitCodes.Failure;
        }

        var json = options.Json;
        Console.Out.WriteLine("osquery-bpf standalone: SQL over " + string.Join(", ", host.Store.Tables.Select(t => t.Name)) + ".");
        Console.Out.WriteLine("End statements with ';'. .tables lists the tables, .mode json|table switches output, .quit leaves.");
        var pending = new System.Text.StringBuilder();
        while (!stop.IsCancellationRequested)
        {
            Console.Out.Write(pending.Length == 0 ? "osquery-bpf> " : "        ...> ");
            var line = Console.In.ReadLine();
            if (line is null)
                break;
            var trimmed = line.Trim();
            if (pending.Length == 0 && trimmed.StartsWith('.'))
            {
                switch (trimmed)
                {
                    case ".quit" or ".exit":
                        return ExitCodes.Success;
                    case ".tables":
                        foreach (var table in host.Store.Tables)
                            Console.Out.WriteLine("  => " + table.Name);
                        break;
                    case ".mode json":
                        json = true;
                        break;
                    case ".mode table":
                        json = false;
                        break;
                    default:
                        Console.Out.WriteLine("Unknown command; known: .tables, .mode json, .mode table, .quit");
                        break;
                }
                continue;
            }
            pending.AppendLine(line);
            if (!trimmed.EndsWith(';'))
                continue;
            await AnswerAsync(query, host, pending.ToString(), json, Console.Out, stop).ConfigureAwait(false);
            pending.Clear();
        }
        return ExitCodes.Success;
    }

    private static async Task<bool> AnswerAsync(StandaloneQuery query, ProbeHost host, string sql, bool json, TextWriter output,
        CancellationToken stop)
    {
        try
        {
            // Make what the probes have seen so far visible to the query.
            host.Runner.PublishStatus();
            await host.Store.FlushAsync(stop).ConfigureAwait(false);
            var result = await query.RunAsync(sql, stop).ConfigureAwait(false);
            output.Write(json ? ResultFormatter.JsonLines(result) : ResultFormatter.AlignedTable(result));
            output.Flush();
            return true;
        }
        catch (Exception e) when (e is StandaloneQueryException or OperationCanceledException)
        {
            Console.Error.WriteLine("Error: " + e.Message);
            return false;
        }
    }
}
