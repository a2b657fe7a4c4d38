using System.Text.Json;
using OsqueryBpf.Tables.Schema;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

public sealed class PackTests
{
    [Fact]
    public void TheExamplePackUsesTheExactlyOncePatternForEveryEventTable()
    {
        using var pack = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "packaging", "packs", "ebpf-events.conf")));
        var queries = pack.RootElement.GetProperty("queries");
        foreach (var table in EventTables.Evented)
        {
            var query = queries.GetProperty(table.Name);
            var sql = query.GetProperty("query").GetString()!;
            var interval = query.GetProperty("interval").GetInt32();
            Assert.Contains($"FROM {table.Name} ", sql);
            Assert.Contains("eid", sql); // hidden, so named explicitly
            Assert.Contains($"time > (SELECT unix_time FROM time) - {2 * interval}", sql);
            Assert.False(query.GetProperty("removed").GetBoolean());
        }
    }
}
