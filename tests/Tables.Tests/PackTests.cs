using System.Text.Json;
using System.Text.RegularExpressions;
using OsqueryBpf.Probes;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

public sealed class PackTests
{
    private static JsonElement Queries()
    {
        using var pack = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "packaging", "packs", "ebpf-events.conf")));
        return pack.RootElement.GetProperty("queries").Clone();
    }

    [Fact]
    public void EveryEventQueryUsesTheExactlyOncePatternAndEveryEventTableIsRead()
    {
        var queries = Queries().EnumerateObject().ToList();
        foreach (var table in ProbeCatalog.Tables)
        {
            var reading = queries.Where(q => q.Value.GetProperty("query").GetString()!.Contains($"FROM {table.Name} ", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(reading);
            foreach (var query in reading.Select(q => q.Value))
            {
                var sql = query.GetProperty("query").GetString()!;
                var interval = query.GetProperty("interval").GetInt32();
                Assert.Contains("eid", sql); // hidden, so named explicitly
                Assert.Contains($"time > (SELECT unix_time FROM time) - {2 * interval}", sql);
                Assert.False(query.GetProperty("removed").GetBoolean());
            }
        }
    }

    [Fact]
    public void TheDropInPackReadsBothDropInsWithTheExactlyOncePatternWhereTheyAreOurs()
    {
        using var pack = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "packaging", "packs", "bpf-drop-in.conf")));
        var root = pack.RootElement;
        // Only where the extension serves them (owner_uuid > 0), not on an osqueryd that still has its own.
        Assert.Contains("owner_uuid > 0", root.GetProperty("discovery")[0].GetString());
        var queries = root.GetProperty("queries").EnumerateObject().Select(q => q.Value).ToList();
        foreach (var table in DropInTables.All)
        {
            var query = Assert.Single(queries, q => q.GetProperty("query").GetString()!.Contains($"FROM {table.Name} ", StringComparison.Ordinal));
            var sql = query.GetProperty("query").GetString()!;
            var interval = query.GetProperty("interval").GetInt32();
            Assert.Contains("time, eid", sql); // both hidden in osquery's schema, so named explicitly
            Assert.Contains($"time > (SELECT unix_time FROM time) - {2 * interval}", sql);
            Assert.False(query.GetProperty("removed").GetBoolean());
        }
    }

    /// <summary>
    /// The file, process and socket queries are split by action so that a flood of one kind cannot push the others
    /// out of their replies; together they must still cover every action (closes aside, on purpose), each once.
    /// </summary>
    [Theory]
    [InlineData("ebpf_file_events", "action", "open,create,truncate,unlink,rename,mkdir,rmdir,chmod,chown,link,symlink")]
    [InlineData("ebpf_process_events", "syscall", "execve,execveat,exit,fork")]
    [InlineData("ebpf_socket_events", "action", "connect,accept,bind,listen")]
    public void SplitQueriesCoverEveryKindOnce(string table, string column, string kinds)
    {
        var covered = new List<string>();
        foreach (var query in Queries().EnumerateObject())
        {
            var sql = query.Value.GetProperty("query").GetString()!;
            if (!sql.Contains($"FROM {table} ", StringComparison.Ordinal))
                continue;
            var list = Regex.Match(sql, $@"{column} IN \(([^)]*)\)");
            Assert.True(list.Success, $"{query.Name} is not split by {column}");
            covered.AddRange(list.Groups[1].Value.Split(',').Select(v => v.Trim().Trim('\'')));
        }
        Assert.Equal(kinds.Split(',').Order(), covered.Order());
    }
}
