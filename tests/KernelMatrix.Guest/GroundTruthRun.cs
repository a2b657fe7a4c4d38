using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;

namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// One kernel's verdict: start the extension (osqueryd double), wait for its probes to settle and report each,
/// make the workloads, then poll the tables until every check holds or the check timeout passes. Checks of a
/// probe that is not running are judged once, without waiting. Exit code 0 only when every probe runs and
/// every check holds.
/// </summary>
internal static class GroundTruthRun
{
    private sealed class Options
    {
        public string? Extension;
        public string? Dnsmasq;
        public string? ReportPath;
        public TimeSpan SettleTimeout = TimeSpan.FromSeconds(150); // /init passes its architecture's, well inside the host's limit per boot
        public TimeSpan CheckTimeout = TimeSpan.FromSeconds(30);
    }

    public static int Execute(string[] args)
    {
        var options = Parse(args);
        using var report = new Report(options.ReportPath);
        var kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        report.Start(kernel, MachineName(RuntimeInformation.OSArchitecture), Environment.ProcessId);
        var workDir = Directory.CreateTempSubdirectory("kmatrix-");
        try
        {
            return Run(options, report, workDir.FullName) ? 0 : 1;
        }
        catch (Exception e)
        {
            // Whatever went wrong, the host gets a verdict with the reason rather than a crashed guest.
            report.Error("the guest program failed: " + e);
            report.Verdict(false, 0, 0, 0, 0, TimeSpan.Zero);
            return 1;
        }
        finally
        {
            workDir.Delete(recursive: true);
        }
    }

    private static bool Run(Options options, Report report, string workDir)
    {
        // dnsmasq starts while the probes load; a missing dnsmasq fails the DNS checks, not the run.
        using var dns = options.Dnsmasq is { } dnsmasqPath && File.Exists(dnsmasqPath) ? new Dnsmasq(dnsmasqPath) : null;
        using var extension = new ExtensionUnderTest(options.Extension!);
        List<Dictionary<string, string>> probes;
        try
        {
            extension.WaitForRegistration(TimeSpan.FromSeconds(60));
            var registration = extension.Registration!;
            report.Registered(registration.Name, registration.Version, registration.Registry.GetValueOrDefault("table")?.Keys ?? Enumerable.Empty<string>());
            probes = extension.WaitForProbes(options.SettleTimeout);
        }
        catch (InvalidOperationException e)
        {
            // Probes that did not settle are still reported, each as far as it got, with the reason of those that ended.
            foreach (var probe in extension.LastProbes)
                report.Probe(probe.GetValueOrDefault("name") ?? "?", probe.GetValueOrDefault("status") ?? "?",
                    probe.GetValueOrDefault("status") == "loading" ? $"still loading after {extension.Started.Elapsed.TotalSeconds:0} s" : WhyNotRunning(probe));
            report.Error(e.Message);
            report.Verdict(false, extension.LastProbes.Count(p => p.GetValueOrDefault("status") == "running"), extension.LastProbes.Count, 0, 0, extension.Started.Elapsed);
            return false;
        }
        var load = extension.Started.Elapsed;
        foreach (var probe in probes)
            report.Probe(probe.GetValueOrDefault("name") ?? "?", probe.GetValueOrDefault("status") ?? "?", WhyNotRunning(probe));
        report.ProbesSettled(load);
        var running = probes.Where(p => p.GetValueOrDefault("status") == "running").Select(p => p.GetValueOrDefault("name")).ToHashSet();

        // Each workload yields its checks; a workload that cannot run becomes one failed check with the reason.
        var checks = new List<Check>();
        var broken = new List<CheckResult>();
        void Make(string name, Func<IEnumerable<Check>> workload)
        {
            try
            {
                checks.AddRange(workload().ToList());
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException or FormatException)
            {
                broken.Add(new CheckResult(name, false, "the workload failed: " + e.Message));
            }
        }
        Make("process.workload", () => ProcessWorkload.Run(workDir));
        Make("file.workload", () => FileWorkload.Run(workDir));
        Make("tcp4.workload", () => TcpWorkload.Run("tcp4", IPAddress.Loopback));
        Make("tcp6.workload", () => TcpWorkload.Run("tcp6", IPAddress.IPv6Loopback));
        var dnsProblem = dns is null ? $"no dnsmasq at '{options.Dnsmasq}'" : dns.WaitUntilAnswering(TimeSpan.FromSeconds(30));
        if (dnsProblem is null)
            Make("dns.workload", () => DnsWorkload.Run(dns!));
        else
            broken.Add(new CheckResult("dns.workload", false, dnsProblem));

        List<CheckResult> results;
        try
        {
            results = Judge(extension, checks, running, options.CheckTimeout);
        }
        catch (InvalidOperationException e)
        {
            report.Error("reading the tables failed: " + e.Message);
            report.Verdict(false, running.Count, probes.Count, 0, checks.Count + broken.Count, load);
            return false;
        }
        results.AddRange(broken);
        foreach (var result in results)
            report.Check(result);
        foreach (var probe in extension.Generate("ebpf_probes", new Dictionary<string, string>()))
            report.Stats(probe.GetValueOrDefault("name") ?? "?", probe.GetValueOrDefault("events") ?? "?", probe.GetValueOrDefault("drops") ?? "?");
        var held = results.Count(r => r.Holds);
        var pass = running.Count == probes.Count && held == results.Count;
        report.Verdict(pass, running.Count, probes.Count, held, results.Count, load);
        return pass;
    }

    /// <summary>
    /// ebpf_probes' reason for a probe that is not running: its error (a failed probe), else its missing_hooks
    /// (a degraded one has no error; the hooks that did not load, each with its own error, are there).
    /// </summary>
    private static string WhyNotRunning(Dictionary<string, string> probe) =>
        probe.GetValueOrDefault("error") is { Length: > 0 } error ? error
        : probe.GetValueOrDefault("missing_hooks") is { Length: > 0 } missing ? "missing hooks: " + missing
        : "";

    /// <summary>Polls the tables until every check of a running probe holds, or the timeout passes.</summary>
    private static List<CheckResult> Judge(ExtensionUnderTest extension, List<Check> checks, HashSet<string?> running, TimeSpan timeout)
    {
        var results = new CheckResult?[checks.Count];
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var pending = Enumerable.Range(0, checks.Count).Where(i => results[i] is null || !results[i]!.Holds).ToList();
            // One generate per distinct (table, constraints), as osqueryd would answer one query per table.
            foreach (var group in pending.GroupBy(i => checks[i].Table + "?" + string.Join("&", checks[i].Where.Select(w => w.Key + "=" + w.Value))))
            {
                var first = checks[group.First()];
                var rows = extension.Generate(first.Table, first.Where);
                foreach (var i in group)
                    results[i] = checks[i].Judge(rows);
            }
            var waiting = pending.Where(i => !results[i]!.Holds && running.Contains(checks[i].Probe)).ToList();
            if (waiting.Count == 0 || deadline.Elapsed > timeout)
                break;
            Thread.Sleep(250);
        }
        return checks.Select((c, i) => running.Contains(c.Probe) || results[i]!.Holds
            ? results[i]!
            : results[i]! with { Detail = $"probe {c.Probe} is not running; {results[i]!.Detail}" }).ToList();
    }

    /// <summary>The architecture as uname -m names it.</summary>
    private static string MachineName(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        _ => architecture.ToString().ToLowerInvariant(),
    };

    private static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--extension": options.Extension = Value(); break;
                case "--dnsmasq": options.Dnsmasq = Value(); break;
                case "--report": options.ReportPath = Value(); break;
                case "--settle-timeout": options.SettleTimeout = TimeSpan.FromSeconds(double.Parse(Value())); break;
                case "--check-timeout": options.CheckTimeout = TimeSpan.FromSeconds(double.Parse(Value())); break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }
        if (options.Extension is null)
            throw new ArgumentException("--extension PATH is required.");
        options.Dnsmasq ??= new[] { "/usr/sbin/dnsmasq", "/usr/bin/dnsmasq" }.FirstOrDefault(File.Exists);
        return options;
    }
}
