using System.Text.RegularExpressions;
using OsqueryBpf.Tables;

namespace OsqueryBpf.Host.Runtime;

/// <summary>One query of osqueryd's schedule (a row of osquery_schedule; packs' queries are there too).</summary>
internal sealed record ScheduledQuery(string Name, string Sql, long IntervalSeconds);

/// <summary>
/// How long each event table keeps its rows (docs/scheduled-queries.md, "Retention"). osquery expires an event only
/// after every scheduled query on its table has read it; a plain maximum age of --events_expiry (often 1 s) would
/// lose events between two runs. So each table keeps its rows at least twice as long as the longest interval of a
/// scheduled query that names it (twice: osquery's splay moves runs by up to 10 % and a run can be late), also when
/// events_expiry or max_age_seconds is shorter, but the schedule never asks for more than <see cref="CapSeconds"/>.
/// While osqueryd's schedule is unknown (query() failed, or not asked yet) a table keeps at least
/// <see cref="FloorSeconds"/>. max_rows bounds every table whatever this says.
/// </summary>
internal sealed class RetentionPolicy
{
    /// <summary>The least a table keeps while osqueryd's schedule is unknown: osquery's default --events_expiry.</summary>
    public const long FloorSeconds = 3600;

    /// <summary>The most a schedule can make a table keep (7 days): a weekly query is the longest we plan for.</summary>
    public const long CapSeconds = 7 * 24 * 3600;

    private readonly IReadOnlyDictionary<string, Regex[]> _readers;

    /// <param name="readers">Each event table, with every table name whose appearance in a query means the query
    /// reads it (its own name, and the drop-in views over it).</param>
    public RetentionPolicy(IReadOnlyDictionary<string, IReadOnlyList<string>> readers)
    {
        // A name counts when it stands alone: bpf_process_events must not match inside ebpf_process_events.
        _readers = readers.ToDictionary(
            r => r.Key,
            r => r.Value.Select(name => new Regex($"(?<![A-Za-z0-9_$]){Regex.Escape(name)}(?![A-Za-z0-9_$])",
                RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)).ToArray(),
            StringComparer.Ordinal);
    }

    /// <summary>max_age_seconds from the settings file; null when not set.</summary>
    public long? SettingsMaxAge { get; set; }

    /// <summary>osqueryd's --events_expiry (from options()); null when unknown or not positive.</summary>
    public long? EventsExpiry { get; set; }

    /// <summary>osqueryd's schedule; null while unknown.</summary>
    public IReadOnlyList<ScheduledQuery>? Schedule { get; set; }

    /// <summary>Why the schedule is unknown (shown with the floor); empty when known or not asked yet.</summary>
    public string ScheduleProblem { get; set; } = "";

    /// <summary>True without osqueryd (standalone mode): nothing is scheduled, so no floor applies.</summary>
    public bool NoOsqueryd { get; set; }

    /// <summary>The retention of every event table, by name.</summary>
    public Dictionary<string, TableRetention> Decide() =>
        _readers.Keys.ToDictionary(table => table, Decide, StringComparer.Ordinal);

    /// <summary>The retention of one event table.</summary>
    public TableRetention Decide(string table)
    {
        var (baseSeconds, baseReason) = SettingsMaxAge is { } fixedAge ? (fixedAge, "max_age_seconds")
            : EventsExpiry is { } expiry ? (expiry, "events_expiry")
            : (StoreOptions.DefaultMaxAgeSeconds, "default");
        if (NoOsqueryd)
            return new TableRetention(baseSeconds, baseReason);
        if (Schedule is null)
        {
            if (baseSeconds >= FloorSeconds)
                return new TableRetention(baseSeconds, baseReason);
            var why = ScheduleProblem.Length == 0 ? "osqueryd's schedule not read yet" : $"osqueryd's schedule unknown: {ScheduleProblem}";
            return new TableRetention(FloorSeconds, $"floor ({why})");
        }
        var longest = Schedule.Where(q => q.IntervalSeconds > 0 && Reads(q, table)).MaxBy(q => q.IntervalSeconds);
        if (longest is null || 2 * longest.IntervalSeconds <= baseSeconds)
            return new TableRetention(baseSeconds, baseReason);
        var wanted = 2 * longest.IntervalSeconds;
        var reason = $"schedule: {longest.Name} every {longest.IntervalSeconds} s";
        if (wanted <= CapSeconds)
            return new TableRetention(wanted, reason);
        return CapSeconds > baseSeconds ? new TableRetention(CapSeconds, $"cap ({reason})") : new TableRetention(baseSeconds, baseReason);
    }

    private bool Reads(ScheduledQuery query, string table) =>
        _readers.TryGetValue(table, out var names) && names.Any(n => n.IsMatch(query.Sql));
}
