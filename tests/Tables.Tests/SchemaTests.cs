using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using OsqueryBpf.Tables.Schema;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Tables.Tests;

public sealed class SchemaTests
{
    /// <summary>Every table the extension serves: the probes' event tables and ebpf_probes.</summary>
    private static IReadOnlyList<TableDefinition> AllTables { get; } = [.. ProbeCatalog.Tables, StatusTables.Probes];

    private static readonly HashSet<string> OsqueryTypeNames = new(StringComparer.Ordinal)
    {
        "TEXT", "INTEGER", "BIGINT", "UNSIGNED BIGINT", "DOUBLE",
    };

    [Fact]
    public void TheFiveTablesHaveTheirDesignNames()
    {
        Assert.Equal(new[] { "ebpf_process_events", "ebpf_file_events", "ebpf_socket_events", "ebpf_dns_events", "ebpf_probes" },
            AllTables.Select(t => t.Name));
    }

    [Fact]
    public void TypeNamesAreSpelledAsOsqueryDoes()
    {
        Assert.Equal("UNSIGNED BIGINT", ColumnType.UnsignedBigInt.ToWireName());
        foreach (var column in AllTables.SelectMany(t => t.Columns))
            Assert.Contains(column.Type.ToWireName(), OsqueryTypeNames);
    }

    [Fact]
    public void EventTablesHaveTimeAndEidWithTheRightOptions()
    {
        foreach (var table in ProbeCatalog.Tables)
        {
            Assert.Equal(5, (int)table.FindColumn("time")!.Options); // INDEX | ADDITIONAL
            Assert.Equal(ColumnType.BigInt, table.FindColumn("time")!.Type);
            Assert.Equal(17, (int)table.FindColumn("eid")!.Options); // INDEX | HIDDEN
            Assert.Equal(ColumnType.BigInt, table.FindColumn("eid")!.Type);
        }
        Assert.Null(StatusTables.Probes.FindColumn("eid"));
    }

    [Fact]
    public void HiddenColumnsStayFilterable()
    {
        // --extensions_default_index only helps columns whose options are exactly 0.
        foreach (var column in AllTables.SelectMany(t => t.Columns).Where(c => c.IsHidden))
            Assert.True((column.Options & (ColumnOptions.Index | ColumnOptions.Additional | ColumnOptions.Required)) != 0, column.Name);
        Assert.True(ProcessProbe.Table.FindColumn("json_cmdline")!.IsHidden);
        Assert.True(DnsProbe.Table.FindColumn("response")!.IsHidden);
    }

    [Fact]
    public void CommonColumnsAreOnEveryEventTable()
    {
        var common = new[] { "time", "ntime", "eid", "tid", "pid", "parent", "uid", "gid", "cid", "container_id", "container_name", "pod_name", "pod_namespace", "comm", "probe_error", "uptime" };
        foreach (var table in ProbeCatalog.Tables)
        {
            foreach (var name in common)
                Assert.True(table.FindColumn(name) is not null, $"{table.Name} lacks {name}");
        }
        Assert.Equal(ColumnType.Text, ProcessProbe.Table.FindColumn("ntime")!.Type);
        Assert.Equal(ColumnType.Integer, ProcessProbe.Table.FindColumn("probe_error")!.Type);
    }

    [Fact]
    public void TableSpecificColumnsFollowTheDesign()
    {
        AssertColumns(ProcessProbe.Table, "syscall", "path", "path_resolved", "cwd", "cmdline", "json_cmdline", "exit_code", "duration", "euid", "egid", "auid",
            "cmdline_size");
        AssertColumns(FileProbe.Table, "action", "syscall", "path", "dest_path", "path_resolved", "flags", "mode", "exit_code", "inode", "executable", "cwd", "owner_uid", "owner_gid");
        AssertColumns(SocketProbe.Table, "action", "syscall", "fd", "family", "type", "protocol", "local_address", "local_port",
            "remote_address", "remote_port", "exit_code", "status", "path", "duration", "auid", "success");
        AssertColumns(DnsProbe.Table, "kind", "id", "name", "type", "type_id", "status", "answers", "response", "latency", "protocol",
            "server_address", "server_port", "client_address", "client_port", "truncated", "path");
        AssertColumns(StatusTables.Probes, "name", "table", "hooks", "status", "error", "events", "drops", "rows", "oldest_time", "retention_seconds",
            "retention_reason", "ring_bytes", "loaded_at");
        Assert.Equal(ColumnType.Text, FileProbe.Table.FindColumn("mode")!.Type); // 0644 must not be read as octal
        Assert.Equal(ColumnType.Text, ProcessProbe.Table.FindColumn("exit_code")!.Type);
    }

    [Fact]
    public void OnlySmallValuesAreDeclaredInteger()
    {
        // osqueryd truncates INTEGER to 32 bits: only columns whose values always fit may use it.
        var allowed = new HashSet<string> { "probe_error", "path_resolved", "family", "type", "protocol", "local_port", "remote_port", "id", "type_id", "status",
            "server_port", "client_port", "truncated", "success" };
        foreach (var column in AllTables.SelectMany(t => t.Columns).Where(c => c.Type == ColumnType.Integer))
            Assert.Contains(column.Name, allowed);
    }

    [Fact]
    public void EventTablesMatchTheirEventClasses()
    {
        Assert.Equal(typeof(ProcessEvent), ProcessProbe.Table.EventType);
        Assert.Equal(typeof(FileEvent), FileProbe.Table.EventType);
        Assert.Equal(typeof(SocketEvent), SocketProbe.Table.EventType);
        Assert.Equal(typeof(DnsEvent), DnsProbe.Table.EventType);
    }

    [Fact]
    public void EventBasedAttributeIsOptIn()
    {
        Assert.Equal(0, FileProbe.Table.OsqueryAttributes(eventBased: false));
        Assert.Equal(4, FileProbe.Table.OsqueryAttributes(eventBased: true));
        Assert.Equal(0, StatusTables.Probes.OsqueryAttributes(eventBased: true));
    }

    [Fact]
    public void TheOsqueryColumnMapNamesOnlyColumnsWeHave()
    {
        Assert.Equal(["process_events", "bpf_process_events", "socket_events", "bpf_socket_events", "process_file_events", "file_events"],
            OsqueryColumnMap.Tables.Select(t => t.OsqueryTable));
        foreach (var map in OsqueryColumnMap.Tables)
        {
            var ours = ProbeCatalog.Tables.Single(t => t.Name == map.OurTable);
            foreach (var entry in map.Columns.Where(e => e.OurColumn.Length > 0))
                Assert.True(ours.FindColumn(entry.OurColumn) is not null, $"{map.OsqueryTable}.{entry.OsqueryColumn} maps to {ours.Name}.{entry.OurColumn}, which does not exist");
            Assert.Equal(map.Columns.Count, map.Columns.Select(e => e.OsqueryColumn).Distinct().Count());
        }
    }

    [Fact]
    public void DocsAreUpToDate()
    {
        var path = Path.Combine(RepositoryPaths.Root, "docs", "tables.md");
        var expected = TableReference.Markdown([.. AllTables, .. DropInTables.All]); // the drop-ins keep osquery's INTEGER columns
        if (Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1")
            File.WriteAllText(path, expected);
        var actual = File.Exists(path) ? File.ReadAllText(path) : "";
        Assert.True(expected == actual,
            "docs/tables.md differs from the table definitions. Regenerate it with: " +
            "UPDATE_DOCS=1 dotnet test tests/Tables.Tests --filter DocsAreUpToDate");
    }

    private static void AssertColumns(TableDefinition table, params string[] names)
    {
        foreach (var name in names)
            Assert.True(table.FindColumn(name) is not null, $"{table.Name} lacks {name}");
    }
}
