using System.Diagnostics;
using System.Globalization;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>
/// Hostile peers in a process of their own (hostile-peers.pl): some connections idle, some trickle a byte every
/// 200 ms, and every connection the server closes is reopened at once. A separate process, as a real stranger
/// would be: the extension tells peers apart by their process id.
/// </summary>
internal sealed class HostilePeers : IDisposable
{
    private readonly Process _process;
    private int _open;
    private long _connections;

    private HostilePeers(Process process) => _process = process;

    /// <summary>Connections made so far (reconnections included).</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Connections open now, as the script last reported.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>The script's process id (the peer the extension sees).</summary>
    public int ProcessId => _process.Id;

    public static HostilePeers Start(string path, int idle, int trickling, TimeSpan duration)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "hostile-peers.pl");
        var start = new ProcessStartInfo("perl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { script, path, idle.ToString(CultureInfo.InvariantCulture), trickling.ToString(CultureInfo.InvariantCulture),
                     ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        var process = new Process { StartInfo = start };
        var peers = new HostilePeers(process);
        process.OutputDataReceived += (_, e) =>
        {
            // "open <n> connections <total> failures <n>"
            var words = e.Data?.Split(' ');
            if (words is null || words.Length < 4)
                return;
            var at = words[0] == "done" ? 1 : 0;
            if (words[at] == "open" && int.TryParse(words[at + 1], out var open) && long.TryParse(words[at + 3], out var total))
            {
                Volatile.Write(ref peers._open, open);
                Interlocked.Exchange(ref peers._connections, total);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peers;
    }

    public async Task WaitUntilConnectedAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Open < count && DateTime.UtcNow < deadline && !_process.HasExited)
            await Task.Delay(20);
        if (Open < count)
            throw new TimeoutException($"The hostile peers opened only {Open} connections.");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill();
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
