using System.Text.RegularExpressions;
using OsqueryBpf.Osquery.Tables;
using Xunit;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>osquery-protocol.md 8.5 points 2 to 4: osqueryd's call pattern, actions and values.</summary>
public sealed class CallPatternTests
{
    private const string RealisticContext =
        """{"constraints":[{"name":"big","list":[],"affinity":"UNSIGNED BIGINT"},{"name":"count","list":[],"affinity":"INTEGER"},""" +
        """{"name":"data","list":[],"affinity":"BLOB"},{"name":"eid","list":[{"op":68,"expr":"7"}],"affinity":"BIGINT"},""" +
        """{"name":"name","list":[{"op":65,"expr":"row%"},{"op":2,"expr":"row 1"}],"affinity":"TEXT"},""" +
        """{"name":"pid","list":[{"op":2,"expr":"1001"},{"op":2,"expr":"1002"}],"affinity":"BIGINT"},""" +
        """{"name":"ratio","list":[],"affinity":"DOUBLE"},{"name":"time","list":[{"op":32,"expr":"1764000000"},{"op":72,"expr":"5"}],"affinity":"BIGINT"}],""" +
        "\"colsUsed\":[\"name\",\"pid\",\"time\"],\"colsUsedBitset\":19}";

    [Fact]
    public async Task PingReplyIsStrictWithSeqIdZeroAndOurUuid()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var caller = h.Caller;
        var pong = caller.Ping();
        Assert.Equal(0, pong.Code);
        Assert.Equal(h.Server.Uuid, pong.Uuid);
        Assert.True(caller.LastReplyWasStrict);
        Assert.Equal(0, caller.LastReplySeqId);
    }

    [Fact]
    public async Task ColumnsMatchTheRegisteredRoutes()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var registered = h.Manager.Registrations.Single().Registry["table"]["synthetic_table"];
        var reply = h.Caller.Columns("synthetic_table");
        Assert.Equal(0, reply.Status.Code);
        Assert.Equal(registered.Count, reply.Rows.Count);
        for (var i = 0; i < registered.Count; i++)
            Assert.Equal(registered[i].OrderBy(kv => kv.Key), reply.Rows[i].OrderBy(kv => kv.Key));
    }

    [Fact]
    public async Task GenerateWithRealisticContextPassesEveryConstraintToTheTable()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var reply = h.Caller.Generate("synthetic_table", RealisticContext);
        Assert.Equal(0, reply.Status.Code);
        Assert.Equal("OK", reply.Status.Message);
        Assert.Equal(3, reply.Rows.Count);

        var context = h.Synthetic.LastContext!;
        Assert.Equal(8, context.Constraints.Count);
        Assert.Equal(["1001", "1002"], context.ExpressionsFor("pid", ConstraintOperator.Equals));
        Assert.Equal(["row%"], context.ExpressionsFor("name", ConstraintOperator.Like));
        Assert.Equal(["7"], context.ExpressionsFor("eid", ConstraintOperator.NotEquals));
        Assert.Equal(["5"], context.ExpressionsFor("time", ConstraintOperator.Is));
        Assert.Equal("UNSIGNED BIGINT", context.Constraints["big"].Affinity);
        Assert.Empty(context.Constraints["ratio"].Constraints);
        Assert.Equal(["name", "pid", "time"], context.ColumnsUsed);
        Assert.Equal(19UL, context.ColumnsUsedBitset);
        Assert.False(context.IsColumnUsed("data"));
    }

    [Fact]
    public async Task GenerateWithoutContextMeansNoConstraints()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var reply = h.Caller.Generate("synthetic_table", null);
        Assert.Equal(0, reply.Status.Code);
        Assert.Equal(3, reply.Rows.Count);
        Assert.Same(QueryContext.Empty, h.Synthetic.LastContext);
        Assert.Equal(0, h.Caller.Generate("synthetic_table", "").Status.Code);
        Assert.Equal(0, h.Caller.Generate("synthetic_table", "{}").Status.Code);
    }

    [Fact]
    public async Task EveryValueIsAPlainStringAndEveryKeyIsAColumn()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        h.Synthetic.RowCount = 50;
        var reply = h.Caller.Generate("synthetic_table", "{}");
        Assert.Equal(50, reply.Rows.Count);
        var names = SyntheticTable.ColumnList.ToDictionary(c => c.Name, c => c.Type);
        var integer = new Regex("^-?(0|[1-9][0-9]*)$");
        foreach (var row in reply.Rows)
        {
            Assert.All(row.Keys, k => Assert.True(names.ContainsKey(k) || k == "rowid", $"unexpected key {k}"));
            foreach (var (key, value) in row)
            {
                if (names[key] is ColumnType.Integer or ColumnType.BigInt or ColumnType.UnsignedBigInt)
                    Assert.Matches(integer, value);
                if (names[key] is ColumnType.Double)
                    Assert.True(double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out _), value);
            }
        }
    }

    [Fact]
    public async Task UnknownActionMissingActionUnknownTableAndRegistryGetCodeOne()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var caller = h.Caller;
        var unknown = caller.Call("table", "synthetic_table", new Dictionary<string, string> { ["action"] = "explode" });
        Assert.Equal(1, unknown.Status.Code);
        Assert.Equal("Unknown table plugin action: explode", unknown.Status.Message);

        var missing = caller.Call("table", "synthetic_table", new Dictionary<string, string>());
        Assert.Equal(1, missing.Status.Code);
        Assert.Equal("Table plugins must include a request action", missing.Status.Message);

        Assert.Equal(1, caller.Generate("no_such_table", "{}").Status.Code);
        Assert.Equal(1, caller.Call("config", "synthetic_table", new Dictionary<string, string> { ["action"] = "generate" }).Status.Code);
        // The server still answers afterwards.
        Assert.Equal(0, caller.Generate("synthetic_table", "{}").Status.Code);
    }

    [Fact]
    public async Task WritesAreAnsweredReadOnly()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var reply = h.Caller.Call("table", "synthetic_table", new Dictionary<string, string> { ["action"] = "insert", ["json_value_array"] = "[]" });
        Assert.Equal("readonly", Assert.Single(reply.Rows)["status"]);
    }

    [Fact]
    public async Task MalformedContextAndThrowingTableGiveCodeOneAndServingContinues()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var bad = h.Caller.Generate("synthetic_table", "{[]}");
        Assert.Equal(1, bad.Status.Code);
        Assert.Contains("query context", bad.Status.Message);

        // A lone UTF-16 surrogate escape is valid JSON syntax but no string: a code-1 status, not an exception.
        var surrogate = h.Caller.Generate("synthetic_table",
            """{"constraints":[{"name":"name","list":[{"op":2,"expr":"\ud800"}],"affinity":"TEXT"}]}""");
        Assert.Equal(1, surrogate.Status.Code);
        Assert.Contains("query context", surrogate.Status.Message);
        Assert.Empty(surrogate.Rows);

        h.Synthetic.ThrowThis = new InvalidOperationException("The store is closed.");
        var failed = h.Caller.Generate("synthetic_table", "{}");
        Assert.Equal(1, failed.Status.Code);
        Assert.Contains("The store is closed.", failed.Status.Message);

        h.Synthetic.ThrowThis = null;
        Assert.Equal(0, h.Caller.Generate("synthetic_table", "{}").Status.Code);
    }

    [Fact]
    public async Task ShutdownRepliesThenTheServerStopsAndRemovesItsSocket()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var socket = h.Server.ExtensionSocketPath!;
        h.Caller.Shutdown(); // throws unless an empty REPLY came back
        Assert.Equal(Server.ExtensionExitReason.ShutdownRequested, await h.WaitForExitAsync());
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public async Task ReplyLargerThanTheLimitBecomesAClearError()
    {
        var table = new SyntheticTable { RowCount = 1000 };
        await using var h = ServerHarness.Create([table], maxReplyBytes: 10_000).Start();
        await h.Server.Registered.WaitAsync(TimeSpan.FromSeconds(60));
        var reply = h.Caller.Generate("synthetic_table", "{}");
        Assert.Equal(1, reply.Status.Code);
        Assert.Contains("larger than osqueryd accepts in one reply", reply.Status.Message);
        Assert.Empty(reply.Rows);
        table.RowCount = 3;
        Assert.Equal(0, h.Caller.Generate("synthetic_table", "{}").Status.Code);
    }
}
