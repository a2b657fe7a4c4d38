using Xunit;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>osquery-protocol.md 8.5 point 2: a slow generate must never delay a ping.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task PingsAndColumnsAreAnsweredWhileSeveralGeneratesBlockTheirThreads()
    {
        using var gate = new ManualResetEventSlim(false);
        var table = new SyntheticTable { Gate = gate };
        await using var h = await ServerHarness.StartRegisteredAsync([table]);
        var caller = h.Caller;

        // More blocked generates than the machine has cores: a serial server or a starved pool would hang here.
        // Two run at once (the default limit, which bounds reply memory); the other two wait their turn.
        var generates = Enumerable.Range(0, 4)
            .Select(_ => OnOwnThread(() => caller.Generate("synthetic_table", "{}")))
            .ToArray();
        Assert.True(await ServerHarness.EventuallyAsync(() => table.Blocked == 2), "two generates did not start");
        await Task.Delay(300);
        Assert.Equal(2, table.Blocked); // the limit holds

        for (var i = 0; i < 20; i++)
            Assert.Equal(0, caller.Ping().Code);
        Assert.Equal(0, caller.Columns("synthetic_table").Status.Code);
        Assert.All(generates, g => Assert.False(g.IsCompleted));

        gate.Set();
        var replies = await Task.WhenAll(generates).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(replies, r => Assert.Equal(0, r.Status.Code));
        Assert.All(replies, r => Assert.Equal(3, r.Rows.Count));
        Assert.Equal(4, table.GenerateCalls);
    }

    [Fact]
    public async Task ManyConcurrentCallersAllGetTheirOwnRows()
    {
        var table = new SyntheticTable { RowCount = 200 };
        await using var h = await ServerHarness.StartRegisteredAsync([table]);
        var caller = h.Caller;
        var replies = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => OnOwnThread(() => caller.Generate("synthetic_table", "{}"))));
        Assert.All(replies, r => Assert.Equal(200, r.Rows.Count));
        Assert.Equal(16, table.GenerateCalls);
    }

    /// <summary>
    /// Runs a blocking call on a thread of its own. The server under test shares this process's thread pool; blocking
    /// callers on pool threads would starve it on a 2-core machine until its request deadline closed their connections.
    /// </summary>
    private static Task<T> OnOwnThread<T>(Func<T> call) =>
        Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
