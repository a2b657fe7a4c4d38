using System.Diagnostics;
using System.Globalization;
using OsqueryBpf.OsquerydDouble;
using OsqueryBpf.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>
/// Eight unprivileged create/unlink loops flood ebpf_file_events while another process does a known set of file
/// operations. The shipped pack's window queries, made the way osqueryd makes them, must still return every one of
/// the other process's events: results too large for one reply keep the quiet processes' rows and cut the flood,
/// counted and logged, and the pack's queries are split by action.
/// </summary>
[Collection(nameof(StormCollection))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FloodTests(ITestOutputHelper output)
{
    private const int Flooders = 8;
    private const int QuietFiles = 40;

    // Each loop is two events (create, unlink). Eight flooders stay below the store's 1,000,000 rows, so that
    // retention (oldest rows first, whoever wrote them) never enters the test on a fast machine: what is tested
    // is the reply cap and the pack's split, which a few hundred thousand rows already exceed.
    private const int MaxLoopsPerFlooder = 50_000;

    /// <summary>The context osqueryd sends for `time > since AND action = value` (one call per IN value, column not OPTIMIZED).</summary>
    private static string Context(long since, string? action) =>
        "{\"constraints\":[" +
        (action is null ? "" : $"{{\"name\":\"action\",\"list\":[{{\"op\":2,\"expr\":\"{action}\"}}],\"affinity\":\"TEXT\"}},") +
        $"{{\"name\":\"time\",\"list\":[{{\"op\":4,\"expr\":\"{since}\"}}],\"affinity\":\"BIGINT\"}}]}}";

    /// <summary>The pack's file queries, as (query name, actions).</summary>
    private static readonly (string Name, string[] Actions)[] PackFileQueries =
    [
        ("ebpf_file_creates", ["create", "truncate"]),
        ("ebpf_file_removals", ["unlink", "rmdir"]),
        ("ebpf_file_renames", ["rename", "link", "symlink", "mkdir"]),
        ("ebpf_file_permissions", ["chmod", "chown"]),
        ("ebpf_file_opens", ["open"]),
    ];

    private static Process StartFlooder(string folder, int seconds)
    {
        // Any user can do this: run it as nobody. perl-base and setpriv (util-linux) are Essential on Debian.
        var start = new ProcessStartInfo("setpriv") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     "--reuid=65534", "--regid=65534", "--clear-groups", "perl", "-e",
                     "my ($d, $s, $n) = @ARGV; my $end = time + $s; my $i = 0; " +
                     "while (time < $end && $i < $n) { my $f = \"$d/f\" . ($i++ % 64); open(my $h, '>', $f) or die $!; close($h); unlink($f); }",
                     folder, seconds.ToString(CultureInfo.InvariantCulture), MaxLoopsPerFlooder.ToString(CultureInfo.InvariantCulture),
                 })
            start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    [SkippableFact]
    public async Task ThePacksWindowQueriesDeliverEveryEventOfTheOtherProcessesUnderAFlood()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        Requirements.RequireTool("setpriv");
        Requirements.RequireTool("perl");
        var root = Directory.CreateTempSubdirectory("e2e-flood-");
        try
        {
            var floodDir = Directory.CreateDirectory(Path.Combine(root.FullName, "flood")).FullName;
            var quietDir = Directory.CreateDirectory(Path.Combine(root.FullName, "quiet")).FullName;
            File.SetUnixFileMode(root.FullName, (UnixFileMode)0x1ff); // nobody must reach and write the flood folder
            File.SetUnixFileMode(floodDir, (UnixFileMode)0x3ff); // 1777
            var settings = $$"""{"database": ":memory:", "probes": ["file"], "file_include_prefixes": ["{{root.FullName}}/"]}""";
            using var binary = await RunningBinary.StartAsync(settings);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            while (binary.Caller.Generate("ebpf_probes", "{}").Rows is not [{ } probe] || probe["status"] != "running")
            {
                Assert.True(DateTime.UtcNow < deadline, "the file probe did not start:\n" + binary.Process.Stderr);
                await Task.Delay(200);
            }
            var since = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1;

            // The flood, and meanwhile a quiet process (this one) with a known set of operations, spread over it.
            var flooders = Enumerable.Range(0, Flooders).Select(_ => StartFlooder(floodDir, seconds: 15)).ToList();
            var expected = new HashSet<(string Action, string Path)>();
            for (var i = 0; i < QuietFiles; i++)
            {
                var first = Path.Combine(quietDir, $"q{i}");
                var second = first + ".moved";
                File.WriteAllBytes(first, []);
                File.Move(first, second);
                File.SetUnixFileMode(second, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                File.Delete(second);
                expected.UnionWith([("create", first), ("rename", first), ("chmod", second), ("unlink", second)]);
                await Task.Delay(300);
            }
            foreach (var flooder in flooders)
            {
                await flooder.WaitForExitAsync();
                Assert.True(flooder.ExitCode == 0, "a flooder failed: " + await flooder.StandardError.ReadToEndAsync());
            }
            await Task.Delay(1500); // the last events reach the store; ebpf_probes is published once a second

            var probeRow = Assert.Single(binary.Caller.Generate("ebpf_probes", "{}").Rows);
            var caller = new ExtensionCaller(binary.SocketPath) { ReceiveTimeout = TimeSpan.FromMinutes(5) };

            // The old pack's single window query: too large for one reply, it still carries every quiet event.
            var watch = Stopwatch.StartNew();
            var whole = caller.Generate("ebpf_file_events", Context(since, null));
            var wholeSeconds = watch.Elapsed.TotalSeconds;
            Assert.Equal(0, whole.Status.Code);
            var quietInWhole = whole.Rows.Where(r => r["path"].StartsWith(quietDir + "/", StringComparison.Ordinal))
                .Select(r => (r["action"], r["path"])).ToHashSet();
            var floodInWhole = whole.Rows.Count(r => r["path"].StartsWith(floodDir + "/", StringComparison.Ordinal));

            // The shipped pack's split queries, one call per action as osqueryd makes them.
            var delivered = new HashSet<(string, string)>();
            var packRows = 0;
            foreach (var (name, actions) in PackFileQueries)
            {
                foreach (var action in actions)
                {
                    var reply = caller.Generate("ebpf_file_events", Context(since, action));
                    Assert.True(reply.Status.Code == 0, $"{name} ({action}) failed: {reply.Status.Message}");
                    packRows += reply.Rows.Count;
                    Assert.All(reply.Rows, r => Assert.Equal(action, r["action"]));
                    delivered.UnionWith(reply.Rows.Where(r => r["path"].StartsWith(quietDir + "/", StringComparison.Ordinal))
                        .Select(r => (r["action"], r["path"])));
                }
            }

            binary.Process.Signal(10); // SIGUSR1: the counters, rows left out included
            await Task.Delay(500);
            var stderr = binary.Process.Stderr;
            output.WriteLine($"flood: ebpf_probes events {probeRow["events"]}, drops {probeRow["drops"]}, rows {probeRow["rows"]}; " +
                             $"single window query: {whole.Rows.Count} rows in {wholeSeconds:F1} s, {floodInWhole} of them the flood's, " +
                             $"{quietInWhole.Count} of {expected.Count} quiet events; split pack queries: {packRows} rows, " +
                             $"{delivered.Count} of {expected.Count} quiet events");
            output.WriteLine(string.Join('\n', stderr.Split('\n').Where(l => l.Contains("WARN") || l.Contains("Counters of ebpf_file_events"))));

            Assert.True(long.Parse(probeRow["rows"]) > whole.Rows.Count, "the flood fitted in one reply: it did not test anything");
            Assert.Contains("did not fit in one reply", stderr);
            Assert.True(expected.IsSubsetOf(quietInWhole), "missing from the single query: " + string.Join(", ", expected.Except(quietInWhole)));
            Assert.True(expected.IsSubsetOf(delivered), "missing from the pack: " + string.Join(", ", expected.Except(delivered)));
            output.WriteLine("quiet events beyond the expected ones: " + string.Join(", ", delivered.Except(expected).Take(5)));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
