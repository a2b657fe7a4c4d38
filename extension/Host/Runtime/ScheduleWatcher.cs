using System.Globalization;
using Microsoft.Extensions.Logging;
using OsqueryBpf.Osquery.Manager;

namespace OsqueryBpf.Host.Runtime;

/// <summary>
/// Keeps the store's retention in line with osqueryd (<see cref="RetentionPolicy"/>): every interval it reads
/// --events_expiry through options() and the schedule through query() over osquery_schedule, and sets each event
/// table's retention. A failed call leaves the schedule unknown, so the floor applies until the next one works.
/// </summary>
internal sealed class ScheduleWatcher
{
    /// <summary>What query() is asked: osquery_schedule lists the schedule's queries and the packs' alike.</summary>
    public const string ScheduleSql = "SELECT name, query, interval FROM osquery_schedule";

    private readonly ExtensionManagerClient _manager;
    private readonly ProbeHost _host;
    private readonly ILogger _logger;

    public ScheduleWatcher(ExtensionManagerClient manager, ProbeHost host, ILogger logger)
    {
        _manager = manager;
        _host = host;
        _logger = logger;
    }

    /// <summary>Reads osqueryd's events_expiry and schedule once and applies the result.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        long? expiry = null;
        var expiryKnown = false;
        try
        {
            var options = await _manager.OptionsAsync(cancellationToken).ConfigureAwait(false);
            if (options.TryGetValue("events_expiry", out var info) &&
                long.TryParse(info?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
                expiry = seconds;
            expiryKnown = true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogDebug("options() failed: {Message}", e.Message);
        }

        IReadOnlyList<ScheduledQuery>? schedule = null;
        var problem = "";
        try
        {
            var reply = await _manager.QueryAsync(ScheduleSql, cancellationToken).ConfigureAwait(false);
            if (reply.Status is { Code: 0 })
                schedule = Parse(reply.Response);
            else
                problem = $"query() answered code {reply.Status?.Code}: {reply.Status?.Message}";
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            problem = $"query() failed: {e.Message}";
        }
        _host.UpdateRetention(policy =>
        {
            if (expiryKnown)
                policy.EventsExpiry = expiry;
            policy.Schedule = schedule;
            policy.ScheduleProblem = problem;
        });
    }

    /// <summary>Every <paramref name="interval"/> until cancelled.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The rows of osquery_schedule; a row without a usable interval counts as not scheduled.</summary>
    internal static List<ScheduledQuery> Parse(IEnumerable<Dictionary<string, string>>? rows)
    {
        var schedule = new List<ScheduledQuery>();
        foreach (var row in rows ?? [])
        {
            if (row is null || !row.TryGetValue("query", out var sql) || sql is null)
                continue;
            if (!long.TryParse(row.GetValueOrDefault("interval"), NumberStyles.None, CultureInfo.InvariantCulture, out var interval) || interval <= 0)
                continue;
            schedule.Add(new ScheduledQuery(row.GetValueOrDefault("name") ?? "", sql, interval));
        }
        return schedule;
    }
}
