using OsqueryBpf.Tables.Tests;
using OsqueryBpf.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>
/// The published binary with the real file probe and its database on a tmpfs that fills up: ebpf_probes shows the
/// drops while the disk is full (it answers from memory), the failure is logged at WARN with SQLite's cause, and
/// when space comes back the extension writes again and says what it lost.
/// </summary>
[Collection(nameof(StormCollection))]
public sealed class FullDiskTests(ITestOutputHelper output)
{
    private static Dictionary<string, string> FileProbe(RunningBinary binary)
    {
        var reply = binary.Caller.Generate("ebpf_probes", """{"constraints":[{"name":"name","list":[{"op":2,"expr":"file"}],"affinity":"TEXT"}]}""");
        Assert.Equal(0, reply.Status.Code);
        return Assert.Single(reply.Rows);
    }

    /// <summary>Creates and removes files in <paramref name="folder"/> (what the probe watches) for a while.</summary>
    private static void Churn(string folder, int files)
    {
        for (var i = 0; i < files; i++)
        {
            var path = Path.Combine(folder, $"f{i % 64}");
            File.WriteAllBytes(path, []);
            File.Delete(path);
        }
    }

    [SkippableFact]
    public async Task DropsShowInEbpfProbesWhileTheDiskIsFullAndWritesResume()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        using var disk = TmpfsMount.Create(sizeKiB: 1024);
        var work = Directory.CreateTempSubdirectory("e2e-full-disk-work-");
        try
        {
            var settings = $$"""
                {"database": "{{disk.File("events.db")}}", "probes": ["file"], "file_include_prefixes": ["{{work.FullName}}/"]}
                """;
            using var binary = await RunningBinary.StartAsync(settings);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            while (FileProbe(binary)["status"] != "running")
            {
                Assert.True(DateTime.UtcNow < deadline, "the file probe did not start:\n" + binary.Process.Stderr);
                await Task.Delay(200);
            }

            // Fill the disk with real file events.
            deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (long.Parse(FileProbe(binary)["drops"]) == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the disk never filled:\n" + binary.Process.Stderr);
                Churn(work.FullName, 2000);
                await Task.Delay(300);
            }
            Churn(work.FullName, 5000);
            await Task.Delay(1500); // ebpf_probes is published once a second
            var full = FileProbe(binary);
            var dropsWhileFull = long.Parse(full["drops"]);
            Assert.True(dropsWhileFull >= 5000, $"only {dropsWhileFull} drops shown after 5,000 more operations on a full disk");
            // Nothing lost silently: every event received is a row or a counted drop (drops also count ring overflows).
            Assert.True(long.Parse(full["rows"]) + dropsWhileFull >= long.Parse(full["events"]),
                $"rows {full["rows"]} + drops {full["drops"]} < events {full["events"]}");
            var stderr = binary.Process.Stderr;
            Assert.Contains("WARN store: The event store failed to write a batch", stderr);
            Assert.Contains("full", stderr[stderr.IndexOf("WARN store:", StringComparison.Ordinal)..]);

            // Space comes back: the extension writes again and says so.
            disk.Resize(sizeKiB: 64 * 1024);
            var marker = Path.Combine(work.FullName, "after-" + Guid.NewGuid().ToString("N"));
            deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            while (!binary.Process.Stderr.Contains("writes again"))
            {
                if (DateTime.UtcNow > deadline)
                {
                    binary.Process.Signal(10); // SIGUSR1: the counters, for the failure message
                    await Task.Delay(500);
                    Assert.Fail("no recovery was logged:\n" + binary.Process.Stderr + "\n" + string.Join('\n', Directory.GetFiles(disk.Path).Select(f => $"{f} {new FileInfo(f).Length}")));
                }
                File.WriteAllBytes(marker, []);
                File.Delete(marker);
                await Task.Delay(300);
            }
            var byMarker = $$"""{"constraints":[{"name":"path","list":[{"op":2,"expr":"{{marker}}"}],"affinity":"TEXT"}],"colsUsed":["path"]}""";
            deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (binary.Caller.Generate("ebpf_file_events", byMarker).Rows.Count == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "events after the recovery were not stored:\n" + binary.Process.Stderr);
                await Task.Delay(200);
            }
            var after = FileProbe(binary);
            output.WriteLine($"full disk: ebpf_probes showed events {full["events"]}, drops {full["drops"]}, rows {full["rows"]} " +
                             $"while full; after recovery events {after["events"]}, drops {after["drops"]}, rows {after["rows"]}");
            output.WriteLine(string.Join('\n', binary.Process.Stderr.Split('\n').Where(l => l.Contains("WARN"))));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
