using System.Diagnostics;
using System.Globalization;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>Runs the workloads alone, under the extension and under bpftrace, alternating, and collects the measurements.</summary>
internal sealed class Bench(Options options, WorkloadPrograms programs, RunContext context, ExtensionLauncher launcher, string ringWatch)
{
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    public Options Options => options;

    // Ring buffer bytes of each probe, as ebpf_probes reports them; bpftrace gets as much perf buffer in total.
    private readonly Dictionary<string, long> _ringBytes = [];

    public List<Measurement> Run(Workload workload)
    {
        var results = new List<Measurement>();
        var count = options.Count ?? (long)(workload.DefaultCount * options.Scale);
        for (var round = 1; round <= options.Runs; round++)
        {
            Setup[] setups = options.VariantEnvironment.Count > 0
                ? [Setup.Alone, Setup.Extension, Setup.Variant, Setup.Bpftrace]
                : [Setup.Alone, Setup.Extension, Setup.Bpftrace];
            foreach (var setup in setups)
            {
                var measurement = setup switch
                {
                    Setup.Alone => Measurement.Alone(workload, RunWorkload(workload, count)),
                    Setup.Extension => UnderExtension(workload, count, Setup.Extension),
                    Setup.Variant => UnderExtension(workload, count, Setup.Variant),
                    _ => UnderBpftrace(workload, count),
                };
                results.Add(measurement);
                Console.Error.WriteLine(
                    $"  {workload.Name} round {round} {Report.SetupName(setup),-11} {measurement.Result.OperationsPerSecond,12:N0} ops/s" +
                    (setup == Setup.Alone ? "" :
                        $"  rows {measurement.Rows:N0}/{measurement.Expected:N0} ({Report.Percent(measurement.Rows, measurement.Expected)})" +
                        $"  drops {measurement.Drops:N0}  cpu {measurement.CollectorCpu.Total.TotalSeconds:F2} s" +
                        (measurement.Ring is { } ring ? $"  ring peak {ring.Peak / 1024.0:N0} KiB of {ring.Size / 1024:N0} KiB" : "") +
                        $"  [{measurement.Breakdown}]"));
            }
        }
        return results;
    }

    public static readonly IReadOnlyList<string> SaturationHeader =
    [
        "| workload | processes | events/s (all processes) | rows | expected | completeness | drops |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ];

    /// <summary>
    /// The workload in 1, 2, 4 and 8 parallel processes, each doing the full count, under a fresh extension per
    /// step, until the probe drops events or rows are missing: the highest event rate stored completely.
    /// </summary>
    public List<string> Saturation(Workload workload)
    {
        var lines = new List<string>();
        var count = options.Count ?? (long)(workload.DefaultCount * options.Scale);
        foreach (var processes in new[] { 1, 2, 4, 8 })
        {
            using var extension = launcher.Start([workload.Probe], workload.RecordReadOpens);
            var folders = Enumerable.Range(0, processes).Select(i => Path.Combine(context.ScratchFolder, $"p{processes}-{i}")).ToList();
            folders.ForEach(f => Directory.CreateDirectory(f));
            var clock = Stopwatch.StartNew();
            // The file storm gets a folder per process; other workloads their usual arguments.
            var started = folders.Select(folder => programs.Start(workload.Program, count,
                workload.Name == "file" ? [folder] : workload.Arguments(context))).ToList();
            var results = started.Select(p => WorkloadPrograms.Finish(p, workload.Program)).ToList();
            var seconds = clock.Elapsed.TotalSeconds;
            started.ForEach(p => p.Dispose());
            Thread.Sleep(Settle);
            long rows = 0;
            foreach (var (result, folder) in results.Zip(folders))
                rows += CountRows(extension, workload, context, result.Pid, folder).Rows;
            var drops = extension.ProbeStatus(workload.Probe).Drops;
            var expected = results.Sum(r => workload.ExpectedRows(r.Operations));
            // The processes start within a few ms of each other; the wall time of the whole batch gives the rate.
            var line = $"| {workload.Name} | {processes} | {expected / seconds:N0} | {rows:N0} | {expected:N0} | {Report.Percent(rows, expected)} | {drops:N0} |";
            lines.Add(line);
            Console.Error.WriteLine("  saturation " + line);
            if (drops > 0 || rows < expected)
                break;
        }
        return lines;
    }

    private WorkloadResult RunWorkload(Workload workload, long count) =>
        programs.Run(workload.Program, count, workload.Arguments(context));

    private Measurement UnderExtension(Workload workload, long count, Setup setup)
    {
        using var extension = launcher.Start([workload.Probe], workload.RecordReadOpens,
            extraEnvironment: setup == Setup.Variant ? options.VariantEnvironment : null);
        using var rings = options.Rings ? RingWatch.Start(ringWatch, extension.Pid, 1000) : null;
        rings?.Mark();
        var cpuBefore = extension.CpuTimes;
        var result = RunWorkload(workload, count);
        Thread.Sleep(Settle);
        var cpu = extension.CpuTimes - cpuBefore;
        var ring = rings?.Mark().FirstOrDefault(r => r.Name == workload.Probe + "_events");
        var expected = workload.ExpectedRows(result.Operations);
        var (rows, breakdown) = CountRows(extension, workload, context, result.Pid, context.ScratchFolder);
        if (rows < expected)
        {
            // Report what a slower reader would still get, and say that it came late.
            Thread.Sleep(TimeSpan.FromSeconds(3));
            var (lateRows, lateBreakdown) = CountRows(extension, workload, context, result.Pid, context.ScratchFolder);
            if (lateRows > rows)
                breakdown = $"after 1 s: {rows:N0}; after 4 s: {lateBreakdown}";
            rows = lateRows;
        }
        var drops = extension.ProbeStatus(workload.Probe).Drops;
        var ringBytes = extension.Query($"select ring_bytes from ebpf_probes where name = '{workload.Probe}';");
        if (ringBytes.Count == 1)
            _ringBytes[workload.Probe] = long.Parse(ringBytes[0]["ring_bytes"], CultureInfo.InvariantCulture);
        return new Measurement(workload, setup, result, rows, expected, drops, cpu, breakdown, ring, extension.PeakRssKiB);
    }

    private Measurement UnderBpftrace(Workload workload, long count)
    {
        var pages = BufferPagesPerCpu(workload);
        using var trace = BpftraceSession.Start(workload.Bpftrace, context.TempFolder, pages, LoadTimeout);
        var cpuBefore = trace.CpuTimes;
        var result = RunWorkload(workload, count);
        Thread.Sleep(Settle);
        var lag = trace.WaitUntilQuiet(TimeSpan.FromSeconds(30));
        var cpu = trace.CpuTimes - cpuBefore;
        var counted = trace.Stop(result.Pid, workload.TraceOwner, workload.TraceFilter?.Invoke(context));
        var breakdown = string.Join(", ", counted.ByEvent.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value:N0}"));
        breakdown += $"; {pages} perf pages/CPU";
        if (lag > TimeSpan.FromSeconds(1))
            breakdown += $"; output still growing {lag.TotalSeconds:F1} s after the settle time";
        return new Measurement(workload, Setup.Bpftrace, result, counted.Lines, workload.ExpectedTraceLines(result.Operations),
            counted.Lost, cpu, breakdown);
    }

    /// <summary>
    /// Perf buffer pages per CPU that give bpftrace the same buffer in total as the probe's ring (a power of two,
    /// at least bpftrace's default of 64), so that neither side wins by buffering more.
    /// </summary>
    public int BufferPagesPerCpu(Workload workload)
    {
        var total = _ringBytes.GetValueOrDefault(workload.Probe, 4L << 20);
        var pages = (int)Math.Max(64, total / Environment.SystemPageSize / Environment.ProcessorCount);
        return (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)pages + 1) / 2;
    }

    /// <summary>The workload's rows (those of process <paramref name="pid"/>, after eid <paramref name="afterEid"/>).</summary>
    public static (long Rows, string Breakdown) CountRows(ExtensionSession extension, Workload workload, RunContext context, int pid,
        string folder, long afterEid = 0)
    {
        var sql = workload.CountSql
            .Replace("{eid}", afterEid.ToString(CultureInfo.InvariantCulture))
            .Replace("{pid}", pid.ToString(CultureInfo.InvariantCulture))
            .Replace("{dir}", folder)
            .Replace("{target}", context.ReadTarget);
        var rows = extension.Query(sql);
        var total = rows.Sum(r => long.Parse(r["n"], CultureInfo.InvariantCulture));
        return (total, string.Join(", ", rows.Select(r => $"{r["kind"]} {long.Parse(r["n"], CultureInfo.InvariantCulture):N0}")));
    }
}
