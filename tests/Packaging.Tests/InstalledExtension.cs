using System.Diagnostics;
using System.Text;
using OsqueryBpf.OsquerydDouble;
using OsqueryBpf.TestSupport;

namespace OsqueryBpf.Packaging.Tests;

/// <summary>
/// The installed binary (/usr/lib/osquery/extensions/osquery-bpf.ext) running inside a Debian root the way
/// osqueryd's watcher starts it, registered with the osqueryd double, without probes (this is about the
/// process's lifecycle across package operations, not about events).
/// </summary>
internal sealed class InstalledExtension : IDisposable
{
    public const string PathInRoot = "/usr/lib/osquery/extensions/osquery-bpf.ext";
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private InstalledExtension(ExtensionManagerDouble manager, Process process)
    {
        Manager = manager;
        _process = process;
    }

    public ExtensionManagerDouble Manager { get; }

    public long Uuid { get; private set; }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public static async Task<InstalledExtension> StartAsync(DebianRoot root)
    {
        var socketFolder = root.HostPath("/run/osqd-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(socketFolder);
        File.WriteAllText(root.HostPath("/etc/osquery-bpf-test.json"), """{"database": ":memory:", "probes": []}""");
        var manager = new ExtensionManagerDouble(Path.Combine(socketFolder, "osquery.em"));
        manager.Start();
        var info = root.StartInfo(PathInRoot,
            ["--socket", "/run/" + Path.GetFileName(socketFolder) + "/osquery.em", "--timeout", "10", "--interval", "1", "--config", "/etc/osquery-bpf-test.json"]);
        info.RedirectStandardError = true;
        info.RedirectStandardOutput = true;
        var process = new Process { StartInfo = info };
        var extension = new InstalledExtension(manager, process);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (extension._stderr) extension._stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, _) => { };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            extension.Uuid = (await manager.WaitForRegistrationAsync(1, TimeSpan.FromSeconds(60))).Reply.Uuid;
        }
        catch (TimeoutException)
        {
            var stderr = extension.Stderr;
            extension.Dispose();
            throw new TimeoutException("The installed extension did not register. Stderr:\n" + stderr);
        }
        return extension;
    }

    /// <summary>The exit code, or null if the process is still running after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

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
        Manager.Dispose();
    }
}
