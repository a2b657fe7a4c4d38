using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

/// <summary>
/// When the writer falls behind, a flooding process (or user) loses its own events, counted, instead of the queue
/// overflowing with everybody's; when it keeps up, nothing is refused.
/// </summary>
public sealed class IngestBudgetTests
{
    [Fact]
    public async Task UnderPressureTheFloodingProcessIsRefusedAndTheQuietOnesAreNot()
    {
        var warnings = new LogLines();
        await using var store = EventStore.Open(Stores.Memory(o =>
        {
            o.ChannelCapacity = 1000; // pressure from 500 waiting events
            o.BatchSize = 100; // the paused writer holds at most a batch in hand
            o.MaxEventsPerProcess = 100;
            o.MaxEventsPerUser = 0;
            o.LogWarning = warnings.Add;
        }), ProbeCatalog.Tables);
        var now = Stores.Now;
        using (await store.PauseWriterAsync()) // the writer falls behind
        {
            for (var i = 0; i < 3000; i++)
            {
                store.TryAdd(Stores.FileEvent(now, $"/flood/{i}", pid: 666));
                if (i % 300 == 0)
                    Assert.True(store.TryAdd(Stores.FileEvent(now, $"/quiet/{i}", pid: 100)), "a quiet process's event was refused");
            }
        }
        await store.FlushAsync();

        var counters = store.GetCounters("ebpf_file_events");
        Assert.Equal(3010, counters.Received);
        Assert.Equal(counters.Received, counters.Written + counters.Dropped);
        Assert.Equal(counters.Dropped, counters.Refused); // nothing was lost to a full queue
        // Everything beyond the 500 waiting, the writer's batch in hand and the flood's 100 (200 across a second).
        Assert.InRange(counters.Refused, 2150, 2405);
        var quiet = await store.QueryAsync("ebpf_file_events", [new ColumnConstraint("pid", ConstraintOperator.Equals, "100")], ["path"]);
        Assert.Equal(10, quiet.Count);
    }

    [Fact]
    public async Task ManyProcessesOfOneUserShareTheUsersBudget()
    {
        await using var store = EventStore.Open(Stores.Memory(o =>
        {
            o.ChannelCapacity = 1000;
            o.BatchSize = 100;
            o.MaxEventsPerProcess = 100;
            o.MaxEventsPerUser = 200;
        }), ProbeCatalog.Tables);
        var now = Stores.Now;
        using (await store.PauseWriterAsync())
        {
            for (var i = 0; i < 600; i++)
                store.TryAdd(Stores.FileEvent(now, $"/fill/{i}", pid: 1)); // fills to the pressure mark (and refuses some of pid 1)
            for (var pid = 1000; pid < 1100; pid++)
            {
                for (var n = 0; n < 5; n++) // each under its own budget; together over the user's
                {
                    var e = Stores.FileEvent(now, $"/many/{pid}/{n}", pid: pid);
                    e.Uid = 65534;
                    store.TryAdd(e);
                }
            }
        }
        await store.FlushAsync();
        var many = await store.QueryAsync("ebpf_file_events", [new ColumnConstraint("path", ConstraintOperator.Like, "/many/%")], ["path"]);
        Assert.InRange(many.Count, 200, 400); // the user's 200 a second (or 400 across a second boundary)
    }

    [Fact]
    public async Task AWriterThatKeepsUpRefusesNothing()
    {
        await using var store = EventStore.Open(Stores.Memory(o => o.MaxEventsPerProcess = 10), ProbeCatalog.Tables);
        Stores.AddAll(store, Enumerable.Range(0, 5000).Select(i => Stores.FileEvent(Stores.Now, $"/busy/{i}", pid: 666)));
        await store.FlushAsync();
        var counters = store.GetCounters("ebpf_file_events");
        Assert.Equal(0, counters.Refused);
        Assert.Equal(5000, counters.Written);
    }
}
