using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using OsqueryBpf.TestSupport;

namespace OsqueryBpf.EndToEnd.Tests;

/// <summary>
/// The published NativeAOT extension binary running as a child process, as osqueryd's watcher would start
/// it. Captures stdout and stderr; Dispose kills it if it is still running.
/// </summary>
internal sealed partial class ExtensionProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private string? _settingsPath;

    private ExtensionProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Skips locally (fails under CI) when the binary has not been published.</summary>
    public static void RequirePublishedBinary() =>
        Requirements.Require(File.Exists(RepositoryPaths.PublishedExtension),
            "the published extension at artifacts/osquery-bpf.ext (./build.sh test, run or package publishes it)");

    /// <summary>
    /// Settings for protocol tests: no probes (loading them costs seconds of verifier time) and an in-memory store,
    /// so parallel tests never share a database file.
    /// </summary>
    public const string ProtocolOnlySettings = """{"database": ":memory:", "probes": []}""";

    /// <summary>Starts the published binary with <see cref="ProtocolOnlySettings"/>.</summary>
    public static ExtensionProcess Start(params string[] args) => StartWithSettings(ProtocolOnlySettings, args);

    /// <summary>Starts the published binary with the given settings file contents (passed through $OSQUERY_BPF_CONFIG).</summary>
    public static ExtensionProcess StartWithSettings(string settingsJson, params string[] args)
    {
        var settingsPath = Path.Combine(Path.GetTempPath(), $"osquery-bpf-test-{Guid.NewGuid():N}.json");
        File.WriteAllText(settingsPath, settingsJson);
        var info = new ProcessStartInfo(RepositoryPaths.PublishedExtension)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["OSQUERY_BPF_CONFIG"] = settingsPath;
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        var result = Launch(info);
        result._settingsPath = settingsPath;
        return result;
    }

    /// <summary>
    /// Starts the program and arguments of <paramref name="info"/> (a copy of the binary elsewhere, or one run
    /// inside a chroot) with its output captured; no settings file is written.
    /// </summary>
    public static ExtensionProcess Launch(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = new Process { StartInfo = info };
        var result = new ExtensionProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (result._stdout) result._stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (result._stderr) result._stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Waits for the process to exit and returns its exit code; throws after the timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The extension did not exit. Stderr:\n{Stderr}");
        }
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Sends a POSIX signal (SIGTERM = 15, SIGINT = 2).</summary>
    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        if (_settingsPath is not null)
            File.Delete(_settingsPath);
    }
}
