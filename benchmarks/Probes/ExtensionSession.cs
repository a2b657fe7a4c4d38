using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>
/// osquery-bpf.ext --standalone driven through its SQL prompt: statements go to stdin, JSON lines come back on
/// stdout, and the next "osquery-bpf> " prompt marks the end of an answer (each answer first flushes what the
/// probes have seen into the store).
/// </summary>
internal sealed class ExtensionSession : IDisposable
{
    private const string Prompt = "osquery-bpf> ";
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly SemaphoreSlim _output = new(0);
    private int _consumed;

    private ExtensionSession(Process process)
    {
        _process = process;
        _ = Task.Run(ReadStdoutAsync);
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_stderr)
                    _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    /// <summary>
    /// Starts the extension with the given settings and waits until every probe in <paramref name="probes"/> reports
    /// running. <paramref name="environment"/> is added to its environment; with <paramref name="cgroup"/> it runs in
    /// that cgroup from its first instruction (<see cref="QuotaCgroup.StartInside"/>).
    /// </summary>
    public static ExtensionSession Start(string executable, IReadOnlyList<string> extensionArguments, IReadOnlyList<string> probes,
        TimeSpan loadTimeout, IReadOnlyDictionary<string, string>? environment = null, QuotaCgroup? cgroup = null)
    {
        List<string> arguments = ["--standalone", .. extensionArguments];
        var info = cgroup?.StartInside(executable, arguments) ?? new ProcessStartInfo(executable, arguments);
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        var session = new ExtensionSession(TrackedProcesses.Start(info));
        try
        {
            session.WaitForPrompt();
            session.Send(".mode json");
            session.WaitForPrompt();
            var deadline = Stopwatch.StartNew();
            foreach (var probe in probes)
            {
                while (true)
                {
                    var status = session.ProbeStatus(probe);
                    if (status.Status == "running")
                        break;
                    if (status.Status is "failed" or "disabled" or "degraded")
                        throw new InvalidOperationException($"The {probe} probe did not start ({status.Status}): {status.Error}");
                    if (deadline.Elapsed > loadTimeout)
                        throw new TimeoutException($"The {probe} probe was not running after {loadTimeout.TotalSeconds} s (status '{status.Status}').");
                    Thread.Sleep(100);
                }
            }
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public sealed record ProbeRow(string Status, string Error, long Events, long Drops);

    public ProbeRow ProbeStatus(string probe)
    {
        var rows = Query($"select status, error, events, drops from ebpf_probes where name = '{probe}';");
        if (rows.Count == 0)
            return new ProbeRow("absent", "", 0, 0);
        var row = rows[0];
        return new ProbeRow(row["status"], row["error"], ParseLong(row["events"]), ParseLong(row["drops"]));
    }

    /// <summary>Runs one statement and returns its rows, every value as text.</summary>
    public IReadOnlyList<Dictionary<string, string>> Query(string sql)
    {
        int errorsBefore;
        lock (_stderr)
            errorsBefore = _stderr.Length;
        Send(sql);
        var answer = WaitForPrompt();
        lock (_stderr)
        {
            var errors = _stderr.ToString(errorsBefore, _stderr.Length - errorsBefore);
            if (errors.Contains("Error:", StringComparison.Ordinal))
                throw new InvalidOperationException($"The extension refused the query '{sql}': {errors.Trim()}");
        }
        var rows = new List<Dictionary<string, string>>();
        foreach (var line in answer.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!line.StartsWith('{'))
                continue;
            using var document = JsonDocument.Parse(line);
            var row = new Dictionary<string, string>();
            foreach (var property in document.RootElement.EnumerateObject())
                row[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.ToString();
            rows.Add(row);
        }
        return rows;
    }

    public TimeSpan Cpu => ProcessCpu.Of(_process.Id);

    /// <summary>The highest resident set size of its life so far (VmHWM), in KiB.</summary>
    public long PeakRssKiB =>
        File.ReadLines($"/proc/{_process.Id}/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(':')[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();

    /// <summary>User and system CPU time so far.</summary>
    public CpuTimes CpuTimes => ProcessCpu.Times(_process.Id);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                Send(".quit");
        }
        catch (IOException)
        {
            // Its stdin is already closed; it is ending anyway.
        }
        TrackedProcesses.WaitOrKill(_process, TimeSpan.FromSeconds(15));
        _process.Dispose();
    }

    private static long ParseLong(string text) => long.TryParse(text, out var value) ? value : 0;

    private void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for the next prompt and returns what was printed before it.</summary>
    private string WaitForPrompt()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            lock (_stdout)
            {
                var text = _stdout.ToString(_consumed, _stdout.Length - _consumed);
                var at = text.IndexOf(Prompt, StringComparison.Ordinal);
                if (at >= 0)
                {
                    _consumed += at + Prompt.Length;
                    return text[..at];
                }
            }
            if (_process.HasExited)
                throw new InvalidOperationException($"The extension exited with code {_process.ExitCode}: {StderrTail()}");
            var left = AnswerTimeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"The extension gave no prompt within {AnswerTimeout.TotalSeconds} s: {StderrTail()}");
            _output.Wait(TimeSpan.FromMilliseconds(Math.Min(200, left.TotalMilliseconds)));
        }
    }

    private string StderrTail()
    {
        lock (_stderr)
        {
            var text = _stderr.ToString();
            return text.Length <= 2000 ? text : text[^2000..];
        }
    }

    private async Task ReadStdoutAsync()
    {
        var buffer = new char[8192];
        while (true)
        {
            int read;
            try
            {
                read = await _process.StandardOutput.ReadAsync(buffer).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            if (read == 0)
                return;
            lock (_stdout)
                _stdout.Append(buffer, 0, read);
            _output.Release();
        }
    }
}
