using OsqueryBpf.OsquerydDouble;
using Xunit;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>
/// The published binary against the osqueryd double: command line forms, registration, the ebpf_probes
/// table, health checks, shutdown() and signals (osquery-protocol.md 8.5 points 5 to 7).
/// </summary>
public sealed class ExtensionBinaryTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    private static readonly string[] ProbeColumns =
        ["name", "table", "hooks", "status", "error", "missing_hooks", "events", "drops", "rows", "oldest_time", "retention_seconds",
         "retention_reason", "ring_bytes", "loaded_at"];

    private static async Task<(ExtensionManagerDouble Manager, ExtensionProcess Process, RegistrationRecord Registration)> StartAsync(
        Func<string, string[]> args, Action<ExtensionManagerDouble>? configure = null)
    {
        ExtensionProcess.RequirePublishedBinary();
        var manager = new ExtensionManagerDouble();
        configure?.Invoke(manager);
        manager.Start();
        var process = ExtensionProcess.Start(args(manager.SocketPath));
        try
        {
            var registration = await manager.WaitForRegistrationAsync(1, Long);
            await WaitForSocketAsync(manager.ExtensionSocketPath(registration.Reply.Uuid));
            return (manager, process, registration);
        }
        catch (TimeoutException)
        {
            var stderr = process.Stderr;
            process.Dispose();
            manager.Dispose();
            throw new TimeoutException("The extension did not register. Stderr:\n" + stderr);
        }
    }

    private static async Task WaitForSocketAsync(string path)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!File.Exists(path) && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.True(File.Exists(path), $"no socket at {path}");
    }

    [SkippableFact]
    public async Task HelpAndVersionExitZero()
    {
        ExtensionProcess.RequirePublishedBinary();
        using (var help = ExtensionProcess.Start("--help"))
        {
            Assert.Equal(0, await help.WaitForExitAsync(Long));
            Assert.Contains("--socket", help.Stdout);
            Assert.Contains("Exit codes", help.Stdout);
        }
        using var version = ExtensionProcess.Start("--version");
        Assert.Equal(0, await version.WaitForExitAsync(Long));
        Assert.StartsWith("osquery-bpf ", version.Stdout);
    }

    [SkippableFact]
    public async Task BadFlagValueIsAUsageError()
    {
        ExtensionProcess.RequirePublishedBinary();
        using var process = ExtensionProcess.Start("--socket", "/tmp/nowhere.em", "--timeout", "soon");
        Assert.Equal(2, await process.WaitForExitAsync(Long));
        Assert.Contains("'--timeout'", process.Stderr);
    }

    [SkippableFact]
    public async Task SeparateArgumentsWithVerboseRegisterAndServeEbpfProbes()
    {
        var (manager, process, registration) = await StartAsync(
            socket => ["--verbose", "--socket", socket, "--timeout", "3", "--interval", "3"]);
        using var _ = manager;
        using var __ = process;

        Assert.Equal("osquery-bpf", registration.Name);
        var routes = registration.Registry["table"]["ebpf_probes"];
        Assert.Equal(ProbeColumns, routes.Where(r => r["id"] == "column").Select(r => r["name"]));
        Assert.Equal("BIGINT", routes.Single(r => r.GetValueOrDefault("name") == "events")["type"]);

        var caller = manager.CallerFor(registration.Reply.Uuid);
        var reply = caller.Generate("ebpf_probes",
            """{"constraints":[{"name":"name","list":[{"op":2,"expr":"exec"}],"affinity":"TEXT"}],"colsUsed":["name"],"colsUsedBitset":1}""");
        Assert.Equal(0, reply.Status.Code);
        Assert.Empty(reply.Rows); // this test runs no probes, and no probe is named 'exec' anyway
        Assert.Equal(routes.Count, caller.Columns("ebpf_probes").Rows.Count);

        // A lone UTF-16 surrogate escape in a constraint: a code-1 status with the reason, not an exception.
        var surrogate = caller.Generate("ebpf_probes", """{"constraints":[{"name":"name","list":[{"op":2,"expr":"\ud800"}],"affinity":"TEXT"}]}""");
        Assert.Equal(1, surrogate.Status.Code);
        Assert.Contains("query context", surrogate.Status.Message);
        Assert.Equal(0, caller.Ping().Code);
        Assert.Contains("DEBUG", process.Stderr);
    }

    [SkippableFact]
    public async Task EqualsFormAndUnknownFlagsAreAccepted()
    {
        var (manager, process, registration) = await StartAsync(
            socket => ["--socket=" + socket, "--timeout=3", "--interval=1", "--unknown_flag=1", "--another", "value"]);
        using var _ = manager;
        using var __ = process;
        Assert.Equal(0, manager.CallerFor(registration.Reply.Uuid).Ping().Code);
        Assert.Contains("Ignoring unknown flag '--unknown_flag=1'", process.Stderr);
        Assert.Contains("Ignoring unknown flag '--another'", process.Stderr);
        Assert.DoesNotContain("DEBUG", process.Stderr);
    }

    [SkippableFact]
    public async Task ForgottenRegistrationIsRenewed()
    {
        var (manager, process, first) = await StartAsync(socket => ["--socket", socket, "--timeout", "3", "--interval", "1"]);
        using var _ = manager;
        using var __ = process;
        manager.ForgetAll();
        var second = await manager.WaitForRegistrationAsync(2, Long);
        Assert.NotEqual(first.Reply.Uuid, second.Reply.Uuid);
        await WaitForSocketAsync(manager.ExtensionSocketPath(second.Reply.Uuid));
        Assert.Equal(0, manager.CallerFor(second.Reply.Uuid).Generate("ebpf_probes", "{}").Status.Code);
        var deadline = DateTime.UtcNow + Long;
        while (File.Exists(manager.ExtensionSocketPath(first.Reply.Uuid)) && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.False(File.Exists(manager.ExtensionSocketPath(first.Reply.Uuid)));
        Assert.False(process.HasExited);
    }

    [SkippableFact]
    public async Task ManagerGoneMeansExitCodeZero()
    {
        var (manager, process, registration) = await StartAsync(socket => ["--socket", socket, "--timeout", "3", "--interval", "1"]);
        using var _ = manager;
        using var __ = process;
        manager.Disappear();
        Assert.Equal(0, await process.WaitForExitAsync(Long));
        Assert.False(File.Exists(manager.ExtensionSocketPath(registration.Reply.Uuid)));
        Assert.Contains("gone away", process.Stderr);
    }

    [SkippableFact]
    public async Task ShutdownCallRepliesAndExitsZero()
    {
        var (manager, process, registration) = await StartAsync(socket => ["--socket", socket, "--timeout", "3", "--interval", "3"]);
        using var _ = manager;
        using var __ = process;
        manager.CallerFor(registration.Reply.Uuid).Shutdown();
        var code = await process.WaitForExitAsync(Long);
        Assert.True(code == 0, $"exit code {code}; stderr:\n{process.Stderr}");
        Assert.False(File.Exists(manager.ExtensionSocketPath(registration.Reply.Uuid)));
    }

    // Signals: SignalTests.

    [SkippableFact]
    public async Task ConflictingRegistrationExitsOneWithOsquerydsMessage()
    {
        ExtensionProcess.RequirePublishedBinary();
        using var manager = new ExtensionManagerDouble { RefuseWithMessage = "Registry item ebpf_probes conflicts with another item of the same name." };
        manager.Start();
        using var process = ExtensionProcess.Start("--socket", manager.SocketPath, "--timeout", "3", "--interval", "3");
        Assert.Equal(1, await process.WaitForExitAsync(Long));
        Assert.Contains("conflicts with another item of the same name", process.Stderr);
    }

    [SkippableFact]
    public async Task MissingManagerExitsOneAfterTheTimeout()
    {
        ExtensionProcess.RequirePublishedBinary();
        var dir = Directory.CreateTempSubdirectory("osqd-").FullName;
        try
        {
            using var process = ExtensionProcess.Start("--socket", Path.Combine(dir, "none.em"), "--timeout", "1", "--interval", "1");
            Assert.Equal(1, await process.WaitForExitAsync(Long));
            Assert.Contains("No osquery extension manager answered", process.Stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
