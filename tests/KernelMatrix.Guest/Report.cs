using System.Globalization;
using System.Text;

namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// The verdict channel read by the host (tests/KernelMatrix/GuestReport.cs parses it). One line per fact, each
/// starting with "kmatrix: ":
/// <code>
/// kmatrix: start kernel=6.1.0-57-cloud-amd64 arch=x86_64 pid=93
/// kmatrix: registered osquery-bpf 0.1.0 tables=ebpf_dns_events,ebpf_file_events,ebpf_probes,...
/// kmatrix: probe process running
/// kmatrix: probe file failed: &lt;ebpf_probes.error on one line&gt;
/// kmatrix: probes settled 4.21 s
/// kmatrix: check file.rename ok
/// kmatrix: check exec FAIL: cwd: expected '/tmp/x', saw '/'
/// kmatrix: stats socket events=57 drops=0
/// kmatrix: verdict pass probes 4/4 checks 27/27 load 4.21 s
/// </code>
/// In a guest the lines go to a serial port of their own (kernel messages stay on the console, so they never
/// break a line), and to stdout.
/// </summary>
internal sealed class Report : IDisposable
{
    public const string Prefix = "kmatrix: ";
    private readonly Stream? _device;

    public Report(string? devicePath)
    {
        if (devicePath is not null)
            _device = new FileStream(devicePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
    }

    public void Start(string kernel, string arch, int pid) => Line($"start kernel={kernel} arch={arch} pid={pid}");

    /// <summary>The extension registered with the osqueryd double: its name, version and tables.</summary>
    public void Registered(string name, string version, IEnumerable<string> tables) =>
        Line($"registered {name} {version} tables={string.Join(',', tables.Order(StringComparer.Ordinal))}");

    public void Probe(string name, string status, string error) =>
        Line(status == "running" ? $"probe {name} running" : $"probe {name} {status}: {OneLine(error)}");

    public void ProbesSettled(TimeSpan took) => Line($"probes settled {Seconds(took)} s");

    public void Check(CheckResult result) =>
        Line(result.Holds ? $"check {result.Name} ok" : $"check {result.Name} FAIL: {OneLine(result.Detail)}");

    /// <summary>ebpf_probes' counters after the checks: a missing row with drops is a different story from one without.</summary>
    public void Stats(string name, string events, string drops) => Line($"stats {name} events={events} drops={drops}");

    public void Verdict(bool pass, int probesRunning, int probes, int checksHeld, int checks, TimeSpan load) =>
        Line($"verdict {(pass ? "pass" : "fail")} probes {probesRunning}/{probes} checks {checksHeld}/{checks} load {Seconds(load)} s");

    /// <summary>A problem that stops the run before a verdict (the extension did not start, say).</summary>
    public void Error(string message) => Line("error " + OneLine(message));

    private void Line(string text)
    {
        var line = Prefix + text + "\n";
        Console.Out.Write(line);
        Console.Out.Flush();
        if (_device is not null)
        {
            _device.Write(Encoding.UTF8.GetBytes(line));
            _device.Flush();
        }
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>Keeps a multi-line text (a verifier log tail) on the one report line.</summary>
    public static string OneLine(string text) => text.ReplaceLineEndings(" / ").Trim();

    public void Dispose() => _device?.Dispose();
}
