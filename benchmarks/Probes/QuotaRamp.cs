using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>One rate step of the quota ramp.</summary>
/// <param name="TargetRate">Events per second the workload processes were paced to, together.</param>
/// <param name="Processes">Workload processes sharing that rate.</param>
/// <param name="AchievedRate">Events per second they produced: expected rows over the slowest process's time.</param>
/// <param name="Rows">The workload's rows in the table once the extension caught up (or stopped catching up).</param>
/// <param name="Expected">Rows the operations performed should give.</param>
/// <param name="Drops">Growth of ebpf_probes.drops over the step (the whole probe: other processes' events too).</param>
/// <param name="Events">Growth of ebpf_probes.events over the step: records taken from the ring, the workload's and other
/// processes' (a record taken from the ring and then refused by the full store queue is received and dropped).</param>
/// <param name="Busy">The extension's CPU time while the workload ran over the workload's wall time (1.0 = one CPU).</param>
/// <param name="CpuPerEvent">The extension's CPU time from the step's start until it caught up, per record received.</param>
/// <param name="Throttling">cpu.stat growth while the workload ran.</param>
/// <param name="Ring">How full the probe's ring got.</param>
/// <param name="CatchUp">From the workload's end until every row was in the table; null when rows never all arrived.</param>
internal sealed record QuotaStep(
    double TargetRate,
    int Processes,
    double AchievedRate,
    long Rows,
    long Expected,
    long Drops,
    long Events,
    double Busy,
    TimeSpan CpuPerEvent,
    Throttling Throttling,
    RingSample? Ring,
    TimeSpan? CatchUp)
{
    public bool Lossless => Rows == Expected && Drops == 0;
}

/// <summary>The ramp of one probe: its steps and the extension's CPU use while idle.</summary>
internal sealed record QuotaResult(Workload Workload, double IdleBusy, IReadOnlyList<QuotaStep> Steps, string? Limit);

/// <summary>
/// The extension inside a CPU quota (a cgroup as osqueryd's systemd unit makes one), one probe at a time: the
/// workload is paced to a rate for a fixed time, the rate doubles until the probe loses events, then the steps
/// bisect between the last rate stored completely and the first that was not. A step is lossless when the table
/// has every row the workload's operations imply and ebpf_probes.drops did not grow.
/// </summary>
/// <remarks>
/// The ring (megabytes) and the store's queue (65,536 events) can hide a deficit for a few seconds, so a step
/// lasts --step-seconds (10 by default) and the table shows how full the ring got, how long the extension needed
/// after the workload to store the last row (catch-up), and how often the quota ran out (throttled periods): a
/// lossless step whose catch-up takes seconds was near the limit.
/// </remarks>
internal sealed class QuotaRamp(Options options, WorkloadPrograms programs, RunContext context, ExtensionLauncher launcher, string ringWatch)
{
    private const int MaxProcesses = 8;
    private const double Resolution = 1.2; // stop bisecting when the first lossy rate is within 20 % of the last lossless one
    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Stalled = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan StatusRefresh = TimeSpan.FromSeconds(1.2); // ebpf_probes is refreshed every second

    private static readonly Dictionary<string, double> DefaultStartRates = new()
    {
        ["file"] = 5_000,
        ["exec"] = 500,
        ["connect"] = 2_000,
        ["dns"] = 1_000,
    };

    public QuotaResult Run(Workload workload, QuotaCgroup cgroup)
    {
        using var extension = launcher.Start([workload.Probe], workload.RecordReadOpens, cgroup);
        // Loading used the quota for seconds; let it finish its tail, then measure what the extension costs idle.
        Thread.Sleep(TimeSpan.FromSeconds(3));
        var idleStart = extension.CpuTimes;
        var idleClock = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(5));
        var idleBusy = (extension.CpuTimes - idleStart).Total.TotalSeconds / idleClock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"  quota {workload.Name}: idle extension uses {100 * idleBusy:F1} % of a CPU");

        using var rings = RingWatch.Start(ringWatch, extension.Pid, 1000);
        var steps = new List<QuotaStep>();
        var rate = options.StartRate ?? DefaultStartRates[workload.Name];
        var processes = 1;
        double? lossless = null, lossy = null; // target rates
        string? limit = null;
        for (var index = 0; index < options.MaxSteps; index++)
        {
            var step = RunStep(extension, rings, cgroup, workload, rate, processes, index);
            steps.Add(step);
            Console.Error.WriteLine("  quota " + StepLine(workload, step) + $"  load {LoadAverage()}");
            if (step.AchievedRate < 0.8 * rate && step.Lossless)
            {
                // The workload could not produce the rate: more processes, or the machine's limit for this workload.
                if (processes < MaxProcesses)
                {
                    processes *= 2;
                    continue;
                }
                limit = $"the workload reached at most {steps.Max(s => s.AchievedRate):N0} events/s with {processes} processes on this machine";
                break;
            }
            if (step.Lossless)
                lossless = Math.Max(lossless ?? 0, rate);
            else
                lossy = Math.Min(lossy ?? double.MaxValue, rate);
            if (lossy is null)
                rate *= 2;
            else if (lossless is null)
                rate /= 2;
            else if (lossy.Value / lossless.Value <= Resolution)
                break;
            else
                rate = Math.Sqrt(lossless.Value * lossy.Value);
            if (rate < 10)
            {
                limit = "the probe lost events even at 10 events/s";
                break;
            }
        }
        return new QuotaResult(workload, idleBusy, steps, limit);
    }

    private QuotaStep RunStep(ExtensionSession extension, RingWatch rings, QuotaCgroup cgroup, Workload workload, double rate, int processes, int index)
    {
        var afterEid = MaxEid(extension, workload);
        var before = extension.ProbeStatus(workload.Probe);
        rings.Mark();
        var cpuBefore = extension.CpuTimes;
        var throttlingBefore = cgroup.ReadThrottling();

        // Each process does its share of the rate for the step's length; the file storm gets a folder per process.
        var operationsPerSecond = rate / workload.RowsPerOperation / processes;
        var count = Math.Max(1, (long)(operationsPerSecond * options.StepSeconds));
        var folders = Enumerable.Range(0, processes).Select(i => Path.Combine(context.ScratchFolder, $"quota-{workload.Name}-{index}-{i}")).ToList();
        folders.ForEach(f => Directory.CreateDirectory(f));
        var clock = Stopwatch.StartNew();
        var started = folders.Select(folder => programs.Start(workload.Program, count,
            workload.Name == "file" ? [folder] : workload.Arguments(context), operationsPerSecond)).ToList();
        var results = started.Select(p => WorkloadPrograms.Finish(p, workload.Program)).ToList();
        var wall = clock.Elapsed;
        started.ForEach(p => p.Dispose());
        var cpuDuring = extension.CpuTimes - cpuBefore;
        var throttling = cgroup.ReadThrottling() - throttlingBefore;
        var expected = results.Sum(r => workload.ExpectedRows(r.Operations));
        var achieved = expected / results.Max(r => r.Seconds);

        // Catch-up: count until every row is there, or nothing new arrived for a while (then the rest is lost).
        var sinceEnd = Stopwatch.StartNew();
        long CountAll() => results.Zip(folders).Sum(p => Bench.CountRows(extension, workload, context, p.First.Pid, p.Second, afterEid).Rows);
        var rows = CountAll();
        var lastChange = Stopwatch.StartNew();
        while (rows < expected && sinceEnd.Elapsed < CatchUpLimit && lastChange.Elapsed < Stalled)
        {
            Thread.Sleep(250);
            var now = CountAll();
            if (now != rows)
                lastChange.Restart();
            rows = now;
        }
        TimeSpan? catchUp = rows >= expected ? sinceEnd.Elapsed : null;
        var cpuUntilCaughtUp = extension.CpuTimes - cpuBefore;
        var ring = rings.Mark().FirstOrDefault(r => r.Name == workload.Probe + "_events");
        Thread.Sleep(StatusRefresh);
        var after = extension.ProbeStatus(workload.Probe);
        var events = after.Events - before.Events;
        foreach (var folder in folders)
            Directory.Delete(folder, recursive: true);
        return new QuotaStep(rate, processes, achieved, rows, expected, after.Drops - before.Drops, events,
            cpuDuring.Total.TotalSeconds / wall.TotalSeconds,
            events > 0 ? cpuUntilCaughtUp.Total / events : TimeSpan.Zero, throttling, ring, catchUp);
    }

    private static long MaxEid(ExtensionSession extension, Workload workload)
    {
        var rows = extension.Query($"select coalesce(max(eid), 0) as eid from {workload.Table};");
        return rows.Count == 1 ? long.Parse(rows[0]["eid"], CultureInfo.InvariantCulture) : 0;
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static string StepLine(Workload workload, QuotaStep step) =>
        $"{workload.Name} target {step.TargetRate:N0}/s x{step.Processes}: {step.AchievedRate:N0} events/s, rows {step.Rows:N0}/{step.Expected:N0}, " +
        $"drops {step.Drops:N0}, received {step.Events:N0}, busy {100 * step.Busy:F1} %, " +
        $"{step.CpuPerEvent.TotalMicroseconds:F1} µs/event, throttled {step.Throttling.Throttled}/{step.Throttling.Periods}, " +
        (step.Ring is { } ring ? $"ring peak {ring.Peak / 1024.0:N0} KiB, " : "") +
        (step.CatchUp is { } catchUp ? $"caught up {catchUp.TotalSeconds:F1} s" : "rows missing");

    /// <summary>The steps of every probe as Markdown tables, with the conclusion under each.</summary>
    public static string Markdown(IReadOnlyList<QuotaResult> results, int percent)
    {
        var text = new StringBuilder();
        foreach (var result in results)
        {
            var workload = result.Workload;
            text.AppendLine($"**{workload.Name}** ({workload.Probe} probe; idle, the extension used {100 * result.IdleBusy:F1} % of a CPU):");
            text.AppendLine();
            text.AppendLine("| target events/s | processes | events/s produced | rows / expected | drops | records received | extension CPU (% of one CPU) | throttled periods | CPU per event | ring peak | caught up after | stored without loss |");
            text.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
            foreach (var step in result.Steps.OrderBy(s => s.TargetRate).ThenBy(s => s.Processes))
            {
                text.AppendLine("| " + string.Join(" | ",
                    step.TargetRate.ToString("N0", CultureInfo.InvariantCulture),
                    step.Processes.ToString(CultureInfo.InvariantCulture),
                    step.AchievedRate.ToString("N0", CultureInfo.InvariantCulture),
                    $"{step.Rows:N0} / {step.Expected:N0}",
                    step.Drops.ToString("N0", CultureInfo.InvariantCulture),
                    step.Events.ToString("N0", CultureInfo.InvariantCulture),
                    (100 * step.Busy).ToString("F1", CultureInfo.InvariantCulture) + " %",
                    $"{step.Throttling.Throttled} of {step.Throttling.Periods}",
                    step.CpuPerEvent.TotalMicroseconds.ToString("F1", CultureInfo.InvariantCulture) + " µs",
                    step.Ring is { } ring ? $"{ring.Peak / 1024.0:N0} KiB ({100 * ring.PeakFraction:F1} %)" : "",
                    step.CatchUp is { } catchUp ? catchUp.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s" : "never",
                    step.Lossless ? "yes" : "**no**") + " |");
            }
            text.AppendLine();
            text.AppendLine(Conclusion(result, percent));
            text.AppendLine();
        }
        return text.ToString();
    }

    private static string Conclusion(QuotaResult result, int percent)
    {
        var best = result.Steps.Where(s => s.Lossless).MaxBy(s => s.AchievedRate);
        var above = result.Steps.Where(s => !s.Lossless && (best is null || s.AchievedRate > best.AchievedRate)).MinBy(s => s.AchievedRate);
        var text = new StringBuilder($"{result.Workload.Name} in {percent} % of a CPU: ");
        text.Append(best is null
            ? "no step was stored without loss"
            : $"highest rate stored without loss {best.AchievedRate:N0} events/s");
        if (above is not null)
        {
            var missing = above.Expected - above.Rows;
            text.Append($"; at {above.AchievedRate:N0} events/s {missing:N0} of {above.Expected:N0} rows were missing " +
                $"({100.0 * missing / above.Expected:F1} %) and ebpf_probes.drops counted {above.Drops:N0}");
            text.Append(above.Drops >= missing ? " (every missing row counted)" : " (**fewer drops counted than rows missing**)");
            // Records received from the ring but not stored were dropped at the store's queue; the rest in the ring.
            if (above.Ring is { } ring)
                text.Append(above.Events >= above.Expected
                    ? $"; the reader took every record from the ring (peak {100 * ring.PeakFraction:F0} % full), so the loss was at the store's queue"
                    : $"; the ring peaked at {100 * ring.PeakFraction:F0} % full");
        }
        if (result.Limit is not null)
            text.Append($"; {result.Limit}");
        return text.Append('.').ToString();
    }
}
