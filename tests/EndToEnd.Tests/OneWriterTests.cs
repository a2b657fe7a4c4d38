using OsqueryBpf.Probes;
using OsqueryBpf.Tables;
using Xunit;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>
/// One writer per database, between real processes: a second extension on a database another one writes exits 1
/// naming the writer, standalone mode on it reads instead of writing, and --read-only serves its tables.
/// </summary>
public sealed class OneWriterTests
{
    private static async Task<string> SeededDatabaseAsync(DirectoryInfo folder, int rows)
    {
        var path = Path.Combine(folder.FullName, "events.db");
        await using var store = EventStore.Open(new StoreOptions { DatabasePath = path }, ProbeCatalog.Tables);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (var i = 0; i < rows; i++)
            Assert.True(store.TryAdd(new FileEvent { Time = now, Pid = 77, Action = "create", Path = $"/seeded/{i}", Comm = "seed" }));
        await store.FlushAsync();
        return path;
    }

    [SkippableFact]
    public async Task ASecondWriterExitsOneAndStandaloneAndReadOnlyReadTheLiveDatabase()
    {
        ExtensionProcess.RequirePublishedBinary();
        var folder = Directory.CreateTempSubdirectory("e2e-one-writer-");
        try
        {
            var database = await SeededDatabaseAsync(folder, 5);
            var settings = $$"""{"database": "{{database}}", "probes": []}""";
            using var writer = await RunningBinary.StartAsync(settings);

            // osqueryi --extension beside osqueryd: the same binary, the same settings, another manager.
            using (var manager = new OsquerydDouble.ExtensionManagerDouble())
            {
                manager.Start();
                using var second = ExtensionProcess.StartWithSettings(settings, "--socket", manager.SocketPath, "--timeout", "3", "--interval", "3");
                Assert.Equal(1, await second.WaitForExitAsync(RunningBinary.Long));
                Assert.Contains($"in use by process {writer.Process.Id}", second.Stderr);
                Assert.Contains("--read-only", second.Stderr);
                Assert.Empty(manager.Registrations);
            }

            // Standalone mode on the live database reads it and writes nothing.
            using (var standalone = ExtensionProcess.StartWithSettings(settings, "--database", database,
                       "--query", "SELECT count(*) AS n FROM ebpf_file_events WHERE path LIKE '/seeded/%'", "--json"))
            {
                Assert.Equal(0, await standalone.WaitForExitAsync(RunningBinary.Long));
                Assert.Contains("""{"n":"5"}""", standalone.Stdout);
                Assert.Contains("Reading it instead of writing", standalone.Stderr);
            }

            // --read-only serves the live database's tables to another osqueryd (or osqueryi).
            using (var reader = await RunningBinary.StartAsync(settings, "--read-only"))
            {
                var rows = reader.Caller.Generate("ebpf_file_events", """{"colsUsed":["path"]}""");
                Assert.Equal(0, rows.Status.Code);
                Assert.Equal(5, rows.Rows.Count(r => r["path"].StartsWith("/seeded/", StringComparison.Ordinal)));
                var deadline = DateTime.UtcNow + RunningBinary.Long;
                while (!reader.Process.Stderr.Contains("read-only: no probes run here") && DateTime.UtcNow < deadline)
                    await Task.Delay(50);
                Assert.Contains("read-only: no probes run here", reader.Process.Stderr);
            }

            // The writer is still the only writer and still serves.
            Assert.False(writer.Process.HasExited);
            Assert.Equal(0, writer.Caller.Generate("ebpf_file_events", "{}").Status.Code);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
