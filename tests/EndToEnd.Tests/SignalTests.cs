using Xunit;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>
/// Every signal the published binary may get: SIGHUP reloads the settings, SIGUSR1 logs the counters, SIGUSR2 is
/// ignored, and none of them ends the process; SIGTERM, SIGINT and SIGQUIT end it cleanly, deregistering from the
/// double and removing the socket file.
/// </summary>
public sealed class SignalTests
{
    private const int SIGHUP = 1;
    private const int SIGINT = 2;
    private const int SIGQUIT = 3;
    private const int SIGUSR1 = 10;
    private const int SIGUSR2 = 12;
    private const int SIGTERM = 15;

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + RunningBinary.Long;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }

    [SkippableTheory]
    [InlineData(SIGTERM)]
    [InlineData(SIGINT)]
    [InlineData(SIGQUIT)]
    public async Task StopSignalsDeregisterRemoveTheSocketAndExitZero(int signal)
    {
        using var binary = await RunningBinary.StartAsync();
        binary.Process.Signal(signal);
        Assert.Equal(0, await binary.Process.WaitForExitAsync(RunningBinary.Long));
        Assert.Equal([binary.Uuid], binary.Manager.Deregistrations);
        Assert.False(File.Exists(binary.SocketPath));
        Assert.Contains("stopping", binary.Process.Stderr);
    }

    [SkippableFact]
    public async Task HupUsr1AndUsr2LeaveItServingThenQuitEndsItCleanly()
    {
        using var binary = await RunningBinary.StartAsync();
        var stderr = () => binary.Process.Stderr;

        binary.Process.Signal(SIGHUP);
        await WaitForAsync(() => stderr().Contains("Received SIGHUP"), "the SIGHUP log line");
        binary.Process.Signal(SIGUSR1);
        await WaitForAsync(() => stderr().Contains("Counters of ebpf_file_events"), "the SIGUSR1 counters");
        Assert.Contains("Extension socket:", stderr());
        binary.Process.Signal(SIGUSR2);
        await WaitForAsync(() => stderr().Contains("Received SIGUSR2; ignored"), "the SIGUSR2 log line");

        await Task.Delay(500);
        Assert.False(binary.Process.HasExited, "a signal ended the process:\n" + stderr());
        Assert.Equal(0, binary.Caller.Ping().Code);
        Assert.Equal(0, binary.Caller.Generate("ebpf_probes", "{}").Status.Code);
        Assert.Empty(binary.Manager.Deregistrations);

        binary.Process.Signal(SIGQUIT);
        Assert.Equal(0, await binary.Process.WaitForExitAsync(RunningBinary.Long));
        Assert.Equal([binary.Uuid], binary.Manager.Deregistrations);
        Assert.False(File.Exists(binary.SocketPath));
    }

    [SkippableFact]
    public async Task HupReadsTheSettingsAgainAppliesWhatItCanAndKeepsGoingOnABrokenFile()
    {
        var settings = Path.Combine(Path.GetTempPath(), $"osquery-bpf-signal-{Guid.NewGuid():N}.json");
        File.WriteAllText(settings, """{"database": ":memory:", "probes": [], "max_rows": 1000}""");
        try
        {
            using var binary = await RunningBinary.StartAsync(ExtensionProcess.ProtocolOnlySettings, "--config", settings);
            File.WriteAllText(settings, """{"database": ":memory:", "probes": ["process"], "max_rows": 5000, "max_age_seconds": 600}""");
            binary.Process.Signal(SIGHUP);
            await WaitForAsync(() => binary.Process.Stderr.Contains("settings read again"), "the reload");
            Assert.Contains("keeping up to 5000 rows per table", binary.Process.Stderr);
            await WaitForAsync(() => binary.Process.Stderr.Contains("'ebpf_process_events' keeps events for 600 s (max_age_seconds)"), "the new retention");
            Assert.Contains("take effect after a restart: probes", binary.Process.Stderr);

            File.WriteAllText(settings, """{"max_rows": "many"}""");
            binary.Process.Signal(SIGHUP);
            await WaitForAsync(() => binary.Process.Stderr.Contains("keeping the current settings"), "the refusal");
            Assert.False(binary.Process.HasExited);
            Assert.Equal(0, binary.Caller.Ping().Code);
        }
        finally
        {
            File.Delete(settings);
        }
    }
}
