using OsqueryBpf.Host.Runtime;
using OsqueryBpf.Tables;
using Xunit;

namespace OsqueryBpf.Host.Tests;

/// <summary>
/// Retention follows osqueryd's schedule, learnt through query() from the osqueryd double (real SQL over
/// osquery_schedule, osquery_flags, osquery_registry). The store's clock is moved by hand; queries go to the
/// extension the way osqueryd sends them.
/// </summary>
public sealed class ScheduleRetentionTests
{
    [Fact]
    public async Task EventsExpiryOfOneSecondStillServesAnEventWellOverAMinuteLaterForA60SecondSchedule()
    {
        await using var run = await ExtensionUnderTest.StartAsync(manager =>
        {
            manager.Options["events_expiry"] = "1";
            manager.Schedule.Add(new("process_execs", "SELECT pid, path FROM ebpf_process_events WHERE time > 0", 60));
            manager.Schedule.Add(new("pack_files_opens", "SELECT * FROM ebpf_file_events", 10)); // another table
        });

        run.AddExec("/usr/bin/true");
        run.Clock.Advance(TimeSpan.FromSeconds(90));
        await run.Host.Store.FlushAsync();
        Assert.Equal(["/usr/bin/true"], run.Select("ebpf_process_events", "path"));

        var status = run.Probes().Single(r => r["table"] == "ebpf_process_events");
        Assert.Equal("120", status["retention_seconds"]);
        Assert.Equal("schedule: process_execs every 60 s", status["retention_reason"]);
        var files = run.Probes().Single(r => r["table"] == "ebpf_file_events");
        Assert.Equal("20", files["retention_seconds"]);

        // Twice the interval, not for ever: past 120 s the row goes.
        run.Clock.Advance(TimeSpan.FromSeconds(40));
        await run.Host.Store.FlushAsync();
        Assert.Empty(run.Select("ebpf_process_events", "path"));
    }

    [Fact]
    public async Task WithoutAScheduledQueryOnTheTableEventsExpiryRules()
    {
        await using var run = await ExtensionUnderTest.StartAsync(manager =>
        {
            manager.Options["events_expiry"] = "1";
            manager.Schedule.Add(new("uptime", "SELECT * FROM uptime", 60));
        });

        run.AddExec("/usr/bin/true");
        run.Clock.Advance(TimeSpan.FromSeconds(5));
        await run.Host.Store.FlushAsync();
        Assert.Empty(run.Select("ebpf_process_events", "path"));
        var status = run.Probes().Single(r => r["table"] == "ebpf_process_events");
        Assert.Equal(("1", "events_expiry"), (status["retention_seconds"], status["retention_reason"]));
    }

    [Fact]
    public async Task WhenQueryFailsTheFloorKeepsEventsAnHourNotOneSecond()
    {
        await using var run = await ExtensionUnderTest.StartAsync(manager =>
        {
            manager.Options["events_expiry"] = "1";
            manager.QueryFailure = "no such table: osquery_schedule";
        });

        run.AddExec("/usr/bin/true");
        run.Clock.Advance(TimeSpan.FromSeconds(3000));
        await run.Host.Store.FlushAsync();
        Assert.Equal(["/usr/bin/true"], run.Select("ebpf_process_events", "path"));
        var status = run.Probes().Single(r => r["table"] == "ebpf_process_events");
        Assert.Equal(RetentionPolicy.FloorSeconds.ToString(), status["retention_seconds"]);
        Assert.StartsWith("floor (osqueryd's schedule unknown: query() answered code 1: no such table", status["retention_reason"]);

        // Once query() works again, the next refresh follows the schedule (none here: events_expiry).
        run.Manager.QueryFailure = null;
        await run.Watcher.RefreshAsync(CancellationToken.None);
        await run.Host.Store.FlushAsync();
        Assert.Empty(run.Select("ebpf_process_events", "path"));
    }

    [Fact]
    public async Task ALongerScheduleFollowsARefreshAndTheCapBoundsIt()
    {
        await using var run = await ExtensionUnderTest.StartAsync(manager => manager.Options["events_expiry"] = "1");
        Assert.Equal("events_expiry", run.Host.Store.GetRetention("ebpf_socket_events").Reason);

        run.Manager.Schedule.Add(new("pack_net_weekly", "select count(*) from EBPF_SOCKET_EVENTS", 30 * 24 * 3600));
        await run.Watcher.RefreshAsync(CancellationToken.None);
        var retention = run.Host.Store.GetRetention("ebpf_socket_events");
        Assert.Equal(RetentionPolicy.CapSeconds, retention.Seconds);
        Assert.Equal($"cap (schedule: pack_net_weekly every {30 * 24 * 3600} s)", retention.Reason);
    }

    [Fact]
    public void TableNamesMatchOnlyAsWholeNames()
    {
        var policy = new RetentionPolicy(new Dictionary<string, IReadOnlyList<string>>
        {
            ["ebpf_process_events"] = ["ebpf_process_events", "bpf_process_events"],
            ["ebpf_socket_events"] = ["ebpf_socket_events"],
        })
        {
            EventsExpiry = 1,
            Schedule =
            [
                new("a", "SELECT * FROM ebpf_process_events_archive", 600), // another table's name
                new("b", "SELECT * FROM bpf_process_events", 30), // the drop-in view over ebpf_process_events
                new("c", "SELECT * FROM xebpf_socket_events", 900),
            ],
        };
        Assert.Equal(new TableRetention(60, "schedule: b every 30 s"), policy.Decide("ebpf_process_events"));
        Assert.Equal(new TableRetention(1, "events_expiry"), policy.Decide("ebpf_socket_events"));

        policy.SettingsMaxAge = 7200; // max_age_seconds in the settings file wins over events_expiry, and a shorter schedule
        Assert.Equal(new TableRetention(7200, "max_age_seconds"), policy.Decide("ebpf_process_events"));
        policy.NoOsqueryd = true;
        policy.SettingsMaxAge = null;
        Assert.Equal(new TableRetention(1, "events_expiry"), policy.Decide("ebpf_process_events"));
    }
}
