using System.Globalization;
using System.Text.RegularExpressions;

namespace OsqueryBpf.KernelMatrix;

/// <summary>A probe as ebpf_probes showed it in the guest.</summary>
internal sealed record ProbeLine(string Name, string Status, string Error);

/// <summary>One ground-truth check: whether it held and, if not, what the guest saw.</summary>
internal sealed record CheckLine(string Name, bool Holds, string Detail);

/// <summary>The guest program's summary line.</summary>
internal sealed record VerdictLine(bool Pass, int ProbesRunning, int Probes, int ChecksHeld, int Checks, double LoadSeconds);

/// <summary>
/// What a guest said on its report port, parsed from the lines tests/KernelMatrix.Guest/Report.cs writes
/// ("kmatrix: ...") and those of /init ("kmatrix-init: ..."). Anything else on the port is ignored.
/// </summary>
internal sealed partial class GuestReport
{
    public bool InitStarted { get; private set; }

    /// <summary>uname -r in the guest.</summary>
    public string? Kernel { get; private set; }

    /// <summary>The guest program's architecture, as uname -m names it (x86_64, aarch64).</summary>
    public string? Arch { get; private set; }

    /// <summary>The extension's registration with the osqueryd double: "osquery-bpf 0.1.0", and its tables.</summary>
    public string? Registered { get; private set; }

    public List<string> RegisteredTables { get; } = [];

    public List<ProbeLine> Probes { get; } = [];

    public List<CheckLine> Checks { get; } = [];

    /// <summary>ebpf_probes' counters after the checks, one "name events=N drops=M" per probe.</summary>
    public List<string> Stats { get; } = [];

    public VerdictLine? Verdict { get; private set; }

    /// <summary>The guest program's exit code as /init reported it.</summary>
    public int? GuestExitCode { get; private set; }

    /// <summary>Problems the guest program reported before it could judge (the extension did not start, say).</summary>
    public List<string> Errors { get; } = [];

    public static GuestReport Parse(IEnumerable<string> lines)
    {
        var report = new GuestReport();
        foreach (var raw in lines)
            report.Add(raw);
        return report;
    }

    /// <summary>Takes one line of the report port (a carriage return from the tty is dropped).</summary>
    public void Add(string raw)
    {
        var line = raw.TrimEnd('\r', '\n');
        if (line.StartsWith("kmatrix-init: ", StringComparison.Ordinal))
        {
            var text = line["kmatrix-init: ".Length..];
            if (text == "started")
                InitStarted = true;
            else if (text.StartsWith("guest exited ", StringComparison.Ordinal) && int.TryParse(text["guest exited ".Length..], out var code))
                GuestExitCode = code;
            return;
        }
        if (!line.StartsWith("kmatrix: ", StringComparison.Ordinal))
            return;
        var body = line["kmatrix: ".Length..];
        if (StartLine().Match(body) is { Success: true } start)
        {
            Kernel = start.Groups[1].Value;
            Arch = start.Groups[2].Success ? start.Groups[2].Value : null;
        }
        else if (RegisteredLine().Match(body) is { Success: true } registered)
        {
            Registered = registered.Groups[1].Value;
            RegisteredTables.AddRange(registered.Groups[2].Value.Split(',', StringSplitOptions.RemoveEmptyEntries));
        }
        else if (ProbeRunning().Match(body) is { Success: true } running)
            Probes.Add(new ProbeLine(running.Groups[1].Value, "running", ""));
        else if (ProbeOther().Match(body) is { Success: true } other)
            Probes.Add(new ProbeLine(other.Groups[1].Value, other.Groups[2].Value, other.Groups[3].Value));
        else if (CheckOk().Match(body) is { Success: true } ok)
            Checks.Add(new CheckLine(ok.Groups[1].Value, true, ""));
        else if (CheckFail().Match(body) is { Success: true } fail)
            Checks.Add(new CheckLine(fail.Groups[1].Value, false, fail.Groups[2].Value));
        else if (VerdictPattern().Match(body) is { Success: true } v)
            Verdict = new VerdictLine(v.Groups[1].Value == "pass", Int(v.Groups[2]), Int(v.Groups[3]), Int(v.Groups[4]), Int(v.Groups[5]),
                double.Parse(v.Groups[6].Value, CultureInfo.InvariantCulture));
        else if (body.StartsWith("stats ", StringComparison.Ordinal))
            Stats.Add(body["stats ".Length..]);
        else if (body.StartsWith("error ", StringComparison.Ordinal))
            Errors.Add(body["error ".Length..]);
    }

    private static int Int(Group g) => int.Parse(g.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^start kernel=(\S+)(?: arch=(\S+))?")]
    private static partial Regex StartLine();

    [GeneratedRegex(@"^registered (\S+ \S+) tables=(\S*)$")]
    private static partial Regex RegisteredLine();

    [GeneratedRegex(@"^probe (\S+) running$")]
    private static partial Regex ProbeRunning();

    [GeneratedRegex(@"^probe (\S+) (\S+): (.*)$")]
    private static partial Regex ProbeOther();

    [GeneratedRegex(@"^check (\S+) ok$")]
    private static partial Regex CheckOk();

    [GeneratedRegex(@"^check (\S+) FAIL: (.*)$")]
    private static partial Regex CheckFail();

    [GeneratedRegex(@"^verdict (pass|fail) probes (\d+)/(\d+) checks (\d+)/(\d+) load ([0-9.]+) s$")]
    private static partial Regex VerdictPattern();
}
