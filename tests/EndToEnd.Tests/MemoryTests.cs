using System.Diagnostics;
using OsqueryBpf.Events;
using OsqueryBpf.OsquerydDouble;
using OsqueryBpf.Tables;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>
/// The memory budget of docs/memory.md, measured on the published binary: six concurrent generates of ~110k rows
/// each stay under 256 MiB of RSS at the peak (VmHWM), and the process is back under 64 MiB within ten seconds.
/// </summary>
[Collection(nameof(StormCollection))]
public sealed class MemoryTests(ITestOutputHelper output)
{
    private const int Rows = 110_000;
    private const long PeakBudgetKiB = 256 * 1024;
    private const long SettledBudgetKiB = 64 * 1024;

    /// <summary>Writes <see cref="Rows"/> file events, shaped like real ones, into a database the binary then opens.</summary>
    private static async Task SeedAsync(string path)
    {
        await using var store = EventStore.Open(new StoreOptions { DatabasePath = path });
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (var i = 0; i < Rows; i++)
        {
            var e = new FileEvent
            {
                Time = now - (Rows - i) / 1000, Pid = 4000 + i % 50, Tid = 4000 + i % 50, Parent = 1, Uid = 1000, Gid = 1000,
                CgroupId = 4242, Comm = "worker", BootTimeNs = (ulong)(1_000_000_000L + i), Action = i % 2 == 0 ? "create" : "unlink",
                Syscall = i % 2 == 0 ? "openat" : "unlinkat", Path = $"/var/tmp/build-cache/objects/{i % 977:x4}/{i:x8}.tmp",
                Flags = "O_WRONLY|O_CREAT|O_TRUNC", Mode = "0644", ExitCode = 3, Inode = 1_000_000 + i,
                Executable = "/usr/bin/worker", Cwd = "/var/tmp/build-cache",
            };
            while (!store.TryAdd(e))
                await Task.Delay(1);
        }
        await store.FlushAsync();
    }

    [SkippableFact]
    public async Task SixConcurrentLargeGeneratesStayWithinTheBudgetAndMemoryIsGivenBack()
    {
        ExtensionProcess.RequirePublishedBinary();
        var folder = Directory.CreateTempSubdirectory("e2e-memory-");
        try
        {
            var database = Path.Combine(folder.FullName, "events.db");
            await SeedAsync(database);
            using var binary = await RunningBinary.StartAsync($$"""{"database": "{{database}}", "probes": []}""");
            var idle = binary.StatusKiB("VmRSS");

            // Each generate reads every column of every row, as `SELECT *, eid FROM ebpf_file_events` does.
            var caller = new ExtensionCaller(binary.SocketPath) { PingBeforeCall = false, ReceiveTimeout = TimeSpan.FromMinutes(5) };
            var watch = Stopwatch.StartNew();
            var counts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => caller.GenerateCountingRows("ebpf_file_events", "{}"))));
            var generateSeconds = watch.Elapsed.TotalSeconds;
            if (counts.Any(c => c != Rows))
            {
                var failed = binary.Caller.Generate("ebpf_file_events", "{}");
            var bytes = failed.Rows.Sum(r => 6 + r.Sum(p => 8 + System.Text.Encoding.UTF8.GetByteCount(p.Key) + System.Text.Encoding.UTF8.GetByteCount(p.Value)));
            output.WriteLine($"one reply: {bytes / 1048576.0:F1} MiB");
                Assert.Fail($"A generate returned {string.Join(", ", counts)} rows; another one now says {failed.Status.Code}: " +
                            $"{failed.Status.Message} ({failed.Rows.Count} rows). Stderr:\n{binary.Process.Stderr}");
            }
            Assert.All(counts, c => Assert.Equal(Rows, c));
            var peak = binary.StatusKiB("VmHWM");
            var afterReplies = binary.StatusKiB("VmRSS");

            var settled = afterReplies;
            var settle = Stopwatch.StartNew();
            while (settle.Elapsed < TimeSpan.FromSeconds(10) && (settled = binary.StatusKiB("VmRSS")) > SettledBudgetKiB)
                await Task.Delay(250);
            var settleSeconds = settle.Elapsed.TotalSeconds;

            output.WriteLine($"idle {idle / 1024.0:F1} MiB; six generates of {Rows} rows in {generateSeconds:F1} s; " +
                             $"peak (VmHWM) {peak / 1024.0:F1} MiB; right after {afterReplies / 1024.0:F1} MiB; " +
                             $"settled {settled / 1024.0:F1} MiB after {settleSeconds:F1} s");
            Assert.True(peak <= PeakBudgetKiB, $"peak RSS {peak / 1024.0:F1} MiB is over the 256 MiB budget");
            Assert.True(settled <= SettledBudgetKiB, $"RSS still {settled / 1024.0:F1} MiB ten seconds after the generates");
            Assert.Equal(0, binary.Caller.Ping().Code);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
