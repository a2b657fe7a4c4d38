using OsqueryBpf.Host.Settings;
using OsqueryBpf.Probes;
using OsqueryBpf.Tables;
using Xunit;

namespace OsqueryBpf.Host.Tests;

public sealed class SettingsTests
{
    [Fact]
    public void EmptyObjectGivesTheDocumentedDefaults()
    {
        var settings = ExtensionSettings.Parse("{}", "test");
        Assert.Equal(StoreOptions.DefaultDatabasePath, settings.Database);
        Assert.Equal(["cgroup", "process", "file", "socket", "dns"], settings.Probes);
        Assert.Null(settings.MaxAgeSeconds);
        var store = settings.ToStoreOptions(null);
        Assert.Equal(StoreOptions.DefaultMaxAgeSeconds, store.MaxAgeSeconds);
        Assert.Equal(1_000_000, store.MaxRowsPerTable);
        Assert.False(((FileSettings)settings.ProbeSettings["file"]).RecordReadOpens);
    }

    [Fact]
    public void SnakeCaseKeysCommentsAndTrailingCommasAreRead()
    {
        var settings = ExtensionSettings.Parse("""
            {
              // a comment
              "database": ":memory:",
              "max_rows": 10,
              "max_age_seconds": 60,
              "probes": ["dns"],
              "record_read_opens": true,
              "file_exclude_prefixes": ["/proc/"],
              "max_argv_bytes": 8192,
            }
            """, "test");
        var store = settings.ToStoreOptions(null);
        Assert.Equal(":memory:", store.DatabasePath);
        Assert.Equal(10, store.MaxRowsPerTable);
        Assert.Equal(60, store.MaxAgeSeconds);
        var file = (FileSettings)settings.ProbeSettings["file"];
        Assert.True(file.RecordReadOpens);
        Assert.Equal(["/proc/"], file.FileExcludePrefixes);
        Assert.Equal(8192, ((ProcessSettings)settings.ProbeSettings["process"]).MaxArgvBytes);
        Assert.Equal(["dns"], settings.Probes);
    }

    [Theory]
    [InlineData("""{"max_row": 5}""", "max_row")]                 // a typo is not silently ignored
    [InlineData("""{"probes": ["kprobe"]}""", "unknown probe 'kprobe'")]
    [InlineData("""{"max_rows": 0}""", "at least 1")]
    [InlineData("""{"max_argv_bytes": 1000000}""", "out of range")]
    [InlineData("""{"file_include_prefixes": ["1","2","3","4","5","6","7","8","9"]}""", "out of range")]
    [InlineData("""{"max_rows": "many"}""", "not valid")]
    [InlineData("[1, 2", "not valid")]
    [InlineData("null", "empty")]
    public void BadSettingsNameTheFileAndTheProblem(string json, string expected)
    {
        var e = Assert.Throws<SettingsException>(() => ExtensionSettings.Parse(json, "/etc/x.json"));
        Assert.Contains("/etc/x.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AMissingExplicitFileIsAnError()
    {
        var e = Assert.Throws<SettingsException>(() => ExtensionSettings.Load("/nonexistent/osquery-bpf.json"));
        Assert.Contains("Cannot read", e.Message);
    }

    [Fact]
    public void IngestBudgetsAreReadAndReachTheStore()
    {
        var defaults = ExtensionSettings.Parse("{}", "test").ToStoreOptions(null);
        Assert.Equal(2_000, defaults.MaxEventsPerProcess);
        Assert.Equal(10_000, defaults.MaxEventsPerUser);
        var off = ExtensionSettings.Parse("""{"max_events_per_process": 0, "max_events_per_user": 500}""", "test").ToStoreOptions(null);
        Assert.Equal(0, off.MaxEventsPerProcess);
        Assert.Equal(500, off.MaxEventsPerUser);
        var error = Assert.Throws<SettingsException>(() => ExtensionSettings.Parse("""{"max_events_per_process": -1}""", "test"));
        Assert.Contains("max_events_per_process", error.Message);
    }

    [Fact]
    public void AReloadNamesTheChangedKeysThatNeedARestart()
    {
        var before = ExtensionSettings.Parse("""{"max_rows": 10, "probes": ["file"], "database": ":memory:"}""", "test");
        var after = ExtensionSettings.Parse("""{"max_rows": 20, "max_age_seconds": 5, "probes": ["file", "dns"], "database": ":memory:", "record_forks": true}""", "test");
        Assert.Equal(["probes", "record_forks"], ExtensionSettings.KeysNeedingRestart(before, after));
        Assert.Empty(ExtensionSettings.KeysNeedingRestart(before, before));
    }
}
