using System.Globalization;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using OsqueryBpf.Tables.Query;
using OsqueryBpf.Tables.Schema;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.Tables.Tests;

public sealed class PushDownTests(ITestOutputHelper output)
{
    private static readonly string[] Paths = { "/a/b1", "/a/B2", "/A/x_y%z", "/tmp/it's", "/c/[x]", "/d/e.log", "" };
    private static readonly string[] Actions = { "open", "create", "unlink" };
    private static readonly long[] Numbers = { 0, 1, 2, 5, -1, -2, -13, 100, 4096, long.MaxValue, long.MinValue + 1, 2147483648 };

    private static readonly string[] TextValues =
    {
        "/a/b1", "/a/b2", "/A/x_y%z", "open", "OPEN", "create", "", "abc", "1x", "0x10", "5", "-2", "5.0", "1e2", "2.5", "-0",
        "/tmp/it's", "'; DROP TABLE ebpf_file_events; --",
    };

    private static readonly string[] LikePatterns = { "%b%", "/a/_1", "%X\\_Y%", "/A/%", "%", "_", "%.log", "O%", "-%", "1%", "%5" };
    private static readonly string[] GlobPatterns = { "/a/*", "*[0-9]", "?A*", "*", "/[ac]/*", "*.log", "-*", "[0-9]*" };
    private static readonly int[] Operators = { 2, 2, 2, 4, 8, 16, 32, 65, 66, 64, 67, 68, 69, 72 };
    private static readonly string[] ColumnNames = { "path", "action", "pid", "exit_code", "inode", "time", "probe_error", "owner_uid", "mode", "eid", "no_such_column" };

    [Fact]
    public async Task PushedDownResultsEqualUnfilteredResultsFilteredByOsqueryd()
    {
        var random = new Random(20261124);
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        var now = Stores.Now;
        var events = Enumerable.Range(0, 300).Select(_ => RandomEvent(random, now)).ToList();
        Stores.AddAll(store, events);
        await store.FlushAsync();

        var table = FileProbe.Table;
        var everything = await store.QueryAsync(table.Name, [], null);
        Assert.Equal(300, everything.Count);
        var exactChecks = 0;
        var narrowed = 0;
        for (var query = 0; query < 400; query++)
        {
            var constraints = Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomConstraint(random, everything)).ToList();
            var pushed = await store.QueryAsync(table.Name, constraints, null);
            var expected = Eids(everything.Where(r => OsquerydFilter.Matches(table, r, constraints)));
            var got = Eids(pushed.Where(r => OsquerydFilter.Matches(table, r, constraints)));
            var describe = string.Join(" AND ", constraints.Select(c => $"{c.Column} op{c.Operator} '{c.Expression}'"));
            Assert.True(expected.SetEquals(got), $"re-filtered results differ for {describe}: {expected.Count} expected, {got.Count} got; missing " +
                string.Join(", ", expected.Except(got).Take(5)) + "; extra " + string.Join(", ", got.Except(expected).Take(5)));
            Assert.True(Eids(pushed).IsSubsetOf(Eids(everything)), describe);
            if (pushed.Count < everything.Count)
                narrowed++;
            if (IsExactlyPushable(table, constraints))
            {
                exactChecks++;
                Assert.True(Eids(pushed).SetEquals(expected), $"push-down should be exact for {describe}: got {pushed.Count}, expected {expected.Count}; extra: " +
                    string.Join(", ", Eids(pushed).Except(expected).Take(5)));
            }
        }
        output.WriteLine($"{exactChecks} exact checks, {narrowed} queries narrowed by push-down");
        Assert.True(exactChecks > 100, $"only {exactChecks} exact checks");
        Assert.True(narrowed > 100, $"only {narrowed} queries were narrowed");
    }

    [Theory]
    [InlineData("'; DROP TABLE ebpf_file_events; --")]
    [InlineData("\" OR 1=1 --")]
    [InlineData("x' OR '1'='1")]
    [InlineData("%' OR 1=1 --")]
    [InlineData("SELECT * FROM sqlite_schema")]
    [InlineData("@c0")]
    [InlineData("?1; DELETE FROM ebpf_file_events")]
    [InlineData("\0")]
    public async Task HostileValuesChangeNothingButTheMatch(string hostile)
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        Stores.AddAll(store, new[] { Stores.FileEvent(Stores.Now, hostile), Stores.FileEvent(Stores.Now, "/plain") });
        await store.FlushAsync();

        foreach (var op in new[] { ConstraintOperator.Equals, ConstraintOperator.Like, ConstraintOperator.Glob })
        {
            var rows = await store.QueryAsync("ebpf_file_events", [new ColumnConstraint("path", (ConstraintOperator)op, hostile)], ["path"]);
            Assert.Equal(hostile, Assert.Single(rows)["path"]);
        }
        foreach (var column in new[] { "pid", "time", "eid", "exit_code", "mode" })
        {
            foreach (var op in new[] { 2, 4, 8, 16, 32, 65, 66 })
            {
                var rows = await store.QueryAsync("ebpf_file_events", [new ColumnConstraint(column, (ConstraintOperator)op, hostile)], ["path"]);
                Assert.True(rows.Count <= 2);
            }
        }
        Assert.Equal(2, (await store.QueryAsync("ebpf_file_events", [new ColumnConstraint(hostile, (ConstraintOperator)2, "x")], ["path"])).Count);
        Assert.Equal(2, (await store.QueryAsync("ebpf_file_events", [], null)).Count);
        Assert.Equal(2, store.GetCounters("ebpf_file_events").Rows);
    }

    [Fact]
    public async Task SeveralEqualsOnOneColumnAreAnInList()
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        Stores.AddAll(store, Enumerable.Range(1, 5).Select(pid => Stores.FileEvent(Stores.Now, "/p", pid)));
        await store.FlushAsync();
        var rows = await store.QueryAsync("ebpf_file_events",
            [new ColumnConstraint("pid", (ConstraintOperator)2, "2"), new ColumnConstraint("pid", (ConstraintOperator)2, "4"), new ColumnConstraint("pid", (ConstraintOperator)2, "9")], ["pid"]);
        Assert.Equal(new[] { "2", "4" }, rows.Select(r => r["pid"]).Order());
    }

    [Fact]
    public async Task ANonNumericValueOnANumericColumnIsLeftToOsqueryd()
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        Stores.AddAll(store, Enumerable.Range(1, 3).Select(pid => Stores.FileEvent(Stores.Now, "/p", pid)));
        await store.FlushAsync();
        // In osqueryd `pid < 'abc'` is true for every row (numbers sort before text): the store must not filter.
        Assert.Equal(3, (await store.QueryAsync("ebpf_file_events", [new ColumnConstraint("pid", (ConstraintOperator)16, "abc")], ["pid"])).Count);
        Assert.Equal(3, (await store.QueryAsync("ebpf_file_events", [new ColumnConstraint("pid", (ConstraintOperator)2, "2"), new ColumnConstraint("pid", (ConstraintOperator)2, "0x2")], ["pid"])).Count);
    }

    [Fact]
    public async Task ATimeConstraintUsesTheTimeIndex()
    {
        await using var store = EventStore.Open(Stores.Memory(), ProbeCatalog.Tables);
        var now = Stores.Now;
        Stores.AddAll(store, Enumerable.Range(0, 100).Select(i => Stores.FileEvent(now - 100 + i)));
        await store.FlushAsync();
        var rows = await store.QueryAsync("ebpf_file_events", [new ColumnConstraint("time", (ConstraintOperator)4, (now - 10).ToString(CultureInfo.InvariantCulture))], ["time"]);
        Assert.Equal(9, rows.Count);

        var statement = SelectBuilder.Build(FileProbe.Table, [new ColumnConstraint("time", (ConstraintOperator)4, "5")], null);
        var plan = await store.RunExclusiveAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + statement.Sql;
            foreach (var (name, value) in statement.Parameters)
                command.Parameters.AddWithValue(name, value);
            using var reader = command.ExecuteReader();
            var lines = new List<string>();
            while (reader.Read())
                lines.Add(reader.GetString(3));
            return string.Join("\n", lines);
        }, default);
        Assert.Contains("ebpf_file_events_time", plan);
    }

    private static bool IsExactlyPushable(TableDefinition table, List<ColumnConstraint> constraints)
    {
        if (constraints.GroupBy(c => (c.Column, c.Operator)).Any(g => (int)g.Key.Operator == 2 && g.Count() > 1))
            return false; // several '=' are an IN list: a superset of their AND
        foreach (var c in constraints)
        {
            var column = table.FindColumn(c.Column);
            if (column is null || (int)c.Operator is not (2 or 4 or 8 or 16 or 32 or 65 or 66))
                return false;
            var numeric = column.Type.IsNumeric();
            if ((int)c.Operator is 2 or 4 or 8 or 16 or 32 && numeric && !SelectBuilder.TryParseNumber(c.Expression, out _))
                return false;
            if ((int)c.Operator is 4 or 8 or 16 or 32 && !numeric)
                return false;
        }
        return true;
    }

    private static HashSet<string> Eids(IEnumerable<Dictionary<string, string>> rows) => rows.Select(r => r["eid"]).ToHashSet();

    private static FileEvent RandomEvent(Random random, long now) => new()
    {
        Time = now - random.Next(0, 50),
        Pid = Pick(random, Numbers),
        Tid = random.Next(1, 5),
        Uid = random.Next(0, 3),
        Action = Pick(random, Actions),
        Path = Pick(random, Paths),
        ExitCode = Pick(random, Numbers),
        Inode = Pick(random, Numbers),
        OwnerUid = random.Next(-1, 2),
        Mode = Pick(random, new[] { "0644", "0755", "" }),
        ProbeError = random.Next(2) == 0,
    };

    private static ColumnConstraint RandomConstraint(Random random, List<Dictionary<string, string>> rows)
    {
        var column = Pick(random, ColumnNames);
        var op = Pick(random, Operators);
        string value = op switch
        {
            65 => Pick(random, LikePatterns),
            66 => Pick(random, GlobPatterns),
            _ => random.Next(4) switch
            {
                0 when column != "no_such_column" => Pick(random, rows)[column], // a value that exists
                1 => Pick(random, Numbers).ToString(CultureInfo.InvariantCulture),
                2 => (Stores.Now - random.Next(0, 60)).ToString(CultureInfo.InvariantCulture),
                _ => Pick(random, TextValues),
            },
        };
        return new ColumnConstraint(column, (ConstraintOperator)op, value);
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
