using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>The published binary without osqueryd: --query answers SQL over the same tables the extension serves.</summary>
public sealed class StandaloneModeTests
{
    [SkippableFact]
    public async Task QueryAnswersEveryTableAndSeesAnExecDuringCollection()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        ExtensionProcess.RequirePublishedBinary();
        var marker = "standalone-" + Guid.NewGuid().ToString("N");
        const string Sql = """
            SELECT 'probes' AS t, count(*) AS n FROM ebpf_probes WHERE status = 'running'
            UNION ALL SELECT 'marker', count(*) FROM ebpf_process_events WHERE cmdline LIKE '%' || ?1 || '%'
            UNION ALL SELECT 'files', count(*) FROM ebpf_file_events
            UNION ALL SELECT 'sockets', count(*) FROM ebpf_socket_events
            UNION ALL SELECT 'dns', count(*) FROM ebpf_dns_events;
            """;
        using var process = ExtensionProcess.StartWithSettings("""{"probes": ["process", "socket", "dns"]}""",
            "--query", Sql.Replace("?1", "'" + marker + "'"), "--collect", "4", "--json");
        // The collection window starts once the probes run; exec the marker repeatedly until the answer comes.
        var run = Task.Run(async () =>
        {
            while (!process.HasExited)
            {
                using var child = System.Diagnostics.Process.Start("/bin/echo", marker);
                await child.WaitForExitAsync();
                await Task.Delay(200);
            }
        });
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromMinutes(3)));
        await run;
        var lines = process.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("""{"t":"probes","n":"3"}""", lines);
        Assert.DoesNotContain("""{"t":"marker","n":"0"}""", lines);
        Assert.Equal(5, lines.Length);
    }

    [SkippableFact]
    public async Task BadSqlIsAClearErrorAndExitCodeOne()
    {
        ExtensionProcess.RequirePublishedBinary();
        using var process = ExtensionProcess.StartWithSettings("""{"probes": []}""", "--query", "SELEC nonsense");
        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("Error:", process.Stderr);
    }

    [SkippableFact]
    public async Task WritesAreRefused()
    {
        ExtensionProcess.RequirePublishedBinary();
        using var process = ExtensionProcess.StartWithSettings("""{"probes": []}""", "--query", "DELETE FROM ebpf_file_events");
        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("Error:", process.Stderr);
    }

    [SkippableFact]
    public async Task InvalidSettingsFileIsAClearError()
    {
        ExtensionProcess.RequirePublishedBinary();
        using var process = ExtensionProcess.StartWithSettings("""{"probes": ["kprobe"]}""", "--query", "SELECT 1");
        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("unknown probe 'kprobe'", process.Stderr);
    }
}
