using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>
/// bpftrace running a script whose every line starts with "pid ppid event", its stdout in a file. Started with
/// `sh -c 'exec bpftrace ...'` so that the redirections need no shell afterwards and the pid is bpftrace's.
/// </summary>
internal sealed partial class BpftraceSession : IDisposable
{
    private static int _sessions;
    private readonly Process _process;
    private readonly string _outputFile;
    private readonly string _errorFile;
    private bool _stopped;

    private BpftraceSession(Process process, string outputFile, string errorFile)
    {
        _process = process;
        _outputFile = outputFile;
        _errorFile = errorFile;
    }

    public int Pid => _process.Id;

    public CpuTimes CpuTimes => ProcessCpu.Times(_process.Id);

    /// <summary>
    /// Starts bpftrace and waits until its BEGIN probe has printed "ready". bpftrace prints "Attaching N probes..."
    /// before it attaches them and fires BEGIN only after all are attached; on a loaded machine the attachment
    /// itself can take more than a second, so waiting for "Attaching" alone loses the first events.
    /// </summary>
    /// <param name="script">The bpftrace program.</param>
    /// <param name="folder">Where the script, its output and its errors go.</param>
    /// <param name="bufferPages">Perf buffer pages per CPU (BPFTRACE_PERF_RB_PAGES, a power of two; bpftrace's default is 64).</param>
    /// <param name="attachTimeout">How long attaching may take.</param>
    public static BpftraceSession Start(string script, string folder, int bufferPages, TimeSpan attachTimeout)
    {
        // Fresh names per session: reading a previous session's "ready" would start the workload before attachment.
        var session = Interlocked.Increment(ref _sessions);
        var scriptFile = Path.Combine(folder, $"trace-{session}.bt");
        var outputFile = Path.Combine(folder, $"trace-{session}.out");
        var errorFile = Path.Combine(folder, $"trace-{session}.err");
        File.WriteAllText(scriptFile, "BEGIN { printf(\"ready\\n\"); }\n" + script);
        var info = new ProcessStartInfo("/bin/sh");
        info.Environment["BPFTRACE_PERF_RB_PAGES"] = bufferPages.ToString(CultureInfo.InvariantCulture);
        foreach (var argument in new[] { "-c", "exec bpftrace \"$0\" > \"$1\" 2> \"$2\"", scriptFile, outputFile, errorFile })
            info.ArgumentList.Add(argument);
        var trace = new BpftraceSession(TrackedProcesses.Start(info), outputFile, errorFile);
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!trace.Says("\nready\n"))
            {
                if (trace._process.HasExited)
                    throw new InvalidOperationException($"bpftrace exited with code {trace._process.ExitCode}: {trace.ReadErrors()}");
                if (deadline.Elapsed > attachTimeout)
                    throw new TimeoutException($"bpftrace did not attach within {attachTimeout.TotalSeconds} s: {trace.ReadErrors()}");
                Thread.Sleep(50);
            }
            Thread.Sleep(100);
            return trace;
        }
        catch
        {
            trace.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits until the output file has stopped growing for half a second (at most the timeout): bpftrace can be
    /// seconds behind the kernel after a storm, and SIGINT makes it exit without reading what is still queued.
    /// Returns how long it took.
    /// </summary>
    public TimeSpan WaitUntilQuiet(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var length = -1L;
        var stableSince = TimeSpan.Zero;
        while (clock.Elapsed < timeout)
        {
            var now = new FileInfo(_outputFile).Length;
            if (now != length)
            {
                length = now;
                stableSince = clock.Elapsed;
            }
            else if (clock.Elapsed - stableSince >= TimeSpan.FromMilliseconds(500))
            {
                break;
            }
            Thread.Sleep(100);
        }
        return clock.Elapsed;
    }

    /// <summary>Stops bpftrace with SIGINT, so it flushes its output, and counts the workload's lines.</summary>
    public TraceCount Stop(int pid, TraceOwner owner, string? filter)
    {
        Interrupt();
        var counts = new Dictionary<string, long>();
        long total = 0;
        var pidText = pid.ToString(CultureInfo.InvariantCulture);
        foreach (var line in File.ReadLines(_outputFile))
        {
            var fields = line.Split(' ', 4);
            if (fields.Length < 3 || fields[owner == TraceOwner.Pid ? 0 : 1] != pidText)
                continue;
            if (filter is not null && !line.Contains(filter, StringComparison.Ordinal))
                continue;
            counts[fields[2]] = counts.GetValueOrDefault(fields[2]) + 1;
            total++;
        }
        var lost = LostEvents().Matches(File.ReadAllText(_outputFile) + ReadErrors()).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        return new TraceCount(total, counts, lost);
    }

    /// <summary>Stops bpftrace with SIGINT (it prints its maps then) and returns everything it printed.</summary>
    public string StopAndRead()
    {
        Interrupt();
        return File.ReadAllText(_outputFile);
    }

    public void Dispose()
    {
        Interrupt();
        _process.Dispose();
    }

    private void Interrupt()
    {
        if (_stopped)
            return;
        _stopped = true;
        if (!_process.HasExited)
        {
            using var kill = TrackedProcesses.Start(new ProcessStartInfo("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]));
            TrackedProcesses.WaitOrKill(kill, TimeSpan.FromSeconds(10));
        }
        TrackedProcesses.WaitOrKill(_process, TimeSpan.FromSeconds(30));
    }

    private bool Says(string text) => File.Exists(_outputFile) && ReadHead(_outputFile).Contains(text, StringComparison.Ordinal);

    private static string ReadHead(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[4096];
        var read = stream.Read(buffer);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
    }

    private string ReadErrors() => File.Exists(_errorFile) ? File.ReadAllText(_errorFile).Trim() : "";

    [GeneratedRegex(@"Lost (\d+) events")]
    private static partial Regex LostEvents();
}

/// <summary>Lines of a bpftrace capture that belong to the workload, by event, and events bpftrace reported lost.</summary>
internal sealed record TraceCount(long Lines, IReadOnlyDictionary<string, long> ByEvent, long Lost);
