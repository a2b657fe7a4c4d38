using System.Globalization;
using System.Text;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>Medians over the runs of each workload and setup, as a Markdown table.</summary>
internal static class Report
{
    public static string Markdown(IReadOnlyList<Measurement> measurements)
    {
        var text = new StringBuilder();
        text.AppendLine("| workload | setup | ops/s (median) | vs alone | rows or lines (median) | expected | completeness (min-max) | drops (max) | collector CPU (median) | CPU per event |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var byWorkload in measurements.GroupBy(m => m.Workload.Name))
        {
            var alone = Median(byWorkload.Where(m => m.Setup == Setup.Alone).Select(m => m.Result.OperationsPerSecond));
            foreach (var bySetup in byWorkload.GroupBy(m => m.Setup).OrderBy(g => g.Key))
            {
                var runs = bySetup.ToList();
                var pace = Median(runs.Select(m => m.Result.OperationsPerSecond));
                var row = new List<string>
                {
                    byWorkload.Key,
                    SetupName(bySetup.Key),
                    pace.ToString("N0", CultureInfo.InvariantCulture),
                    bySetup.Key == Setup.Alone ? "1.00" : (pace / alone).ToString("F2", CultureInfo.InvariantCulture),
                };
                if (bySetup.Key == Setup.Alone)
                {
                    row.AddRange(["", "", "", "", "", ""]);
                }
                else
                {
                    var cpu = Median(runs.Select(m => m.CollectorCpu.Total.TotalSeconds));
                    var expected = Median(runs.Select(m => (double)m.Expected));
                    row.Add(Median(runs.Select(m => (double)m.Rows)).ToString("N0", CultureInfo.InvariantCulture));
                    row.Add(expected.ToString("N0", CultureInfo.InvariantCulture));
                    row.Add(Completeness(runs));
                    row.Add(runs.Max(m => m.Drops).ToString("N0", CultureInfo.InvariantCulture));
                    row.Add(cpu.ToString("F2", CultureInfo.InvariantCulture) + " s");
                    row.Add(expected > 0 ? (cpu * 1e6 / expected).ToString("F2", CultureInfo.InvariantCulture) + " µs" : "");
                }
                text.AppendLine("| " + string.Join(" | ", row) + " |");
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// Collector CPU per stored row (or bpftrace line), medians over the rounds, with its user/system split, and how
    /// full the probe's ring got when it was sampled (--rings).
    /// </summary>
    public static string CpuPerRow(IReadOnlyList<Measurement> measurements)
    {
        var text = new StringBuilder();
        var hasVariant = measurements.Any(m => m.Setup == Setup.Variant);
        text.AppendLine("| workload | osquery-bpf CPU per row | user | system | bpftrace CPU per line | user | system | osquery-bpf / bpftrace | ring peak (max over rounds) | peak RSS (median) |" +
            (hasVariant ? " variant CPU per row | user | system | variant peak RSS |" : ""));
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (hasVariant ? " ---: | ---: | ---: | ---: |" : ""));
        foreach (var byWorkload in measurements.GroupBy(m => m.Workload.Name))
        {
            var extension = byWorkload.Where(m => m.Setup == Setup.Extension && m.Rows > 0).ToList();
            var trace = byWorkload.Where(m => m.Setup == Setup.Bpftrace && m.Rows > 0).ToList();
            if (extension.Count == 0)
                continue;
            static double PerRow(IEnumerable<Measurement> runs, Func<CpuTimes, TimeSpan> part) =>
                Median(runs.Select(m => part(m.CollectorCpu).TotalSeconds * 1e6 / m.Rows));
            var extensionTotal = PerRow(extension, c => c.Total);
            var traceTotal = trace.Count > 0 ? PerRow(trace, c => c.Total) : double.NaN;
            var rings = extension.Where(m => m.Ring is not null).Select(m => m.Ring!).ToList();
            var ring = rings.Count == 0 ? "" : rings.MaxBy(r => r.Peak) is { } peak
                ? $"{peak.Peak / 1024.0:N0} KiB of {peak.Size / 1024:N0} KiB ({100 * peak.PeakFraction:F1} %)" : "";
            text.AppendLine("| " + string.Join(" | ",
                byWorkload.Key,
                Micros(extensionTotal), Micros(PerRow(extension, c => c.User)), Micros(PerRow(extension, c => c.System)),
                Micros(traceTotal), trace.Count > 0 ? Micros(PerRow(trace, c => c.User)) : "", trace.Count > 0 ? Micros(PerRow(trace, c => c.System)) : "",
                double.IsNaN(traceTotal) || traceTotal == 0 ? "" : (extensionTotal / traceTotal).ToString("F2", CultureInfo.InvariantCulture),
                ring, PeakRss(extension)) + " |" + (hasVariant ? VariantColumns(byWorkload) : ""));
        }
        return text.ToString();
    }

    private static string VariantColumns(IEnumerable<Measurement> runs)
    {
        var variant = runs.Where(m => m.Setup == Setup.Variant && m.Rows > 0).ToList();
        if (variant.Count == 0)
            return "  |  |  |  |";
        double PerRow(Func<CpuTimes, TimeSpan> part) => Median(variant.Select(m => part(m.CollectorCpu).TotalSeconds * 1e6 / m.Rows));
        return $" {Micros(PerRow(c => c.Total))} | {Micros(PerRow(c => c.User))} | {Micros(PerRow(c => c.System))} | {PeakRss(variant)} |";
    }

    private static string PeakRss(IEnumerable<Measurement> runs) =>
        (Median(runs.Select(m => (double)m.PeakRssKiB)) / 1024).ToString("F1", CultureInfo.InvariantCulture) + " MiB";

    private static string Micros(double value) =>
        double.IsNaN(value) ? "" : value.ToString("F2", CultureInfo.InvariantCulture) + " µs";

    public static string SetupName(Setup setup) => setup switch
    {
        Setup.Alone => "alone",
        Setup.Extension => "osquery-bpf",
        Setup.Variant => "osquery-bpf variant",
        _ => "bpftrace",
    };

    public static string Percent(long rows, long expected) =>
        expected == 0
            ? (rows == 0 ? "none, as expected" : $"{rows} unexpected")
            : (100.0 * rows / expected).ToString("F2", CultureInfo.InvariantCulture) + " %";

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Completeness(List<Measurement> runs)
    {
        if (runs.All(m => m.Expected == 0))
            return runs.All(m => m.Rows == 0) ? "none, as expected" : $"{runs.Max(m => m.Rows)} unexpected";
        var ratios = runs.Select(m => m.Expected == 0 ? 1 : (double)m.Rows / m.Expected).ToArray();
        var low = (100 * ratios.Min()).ToString("F2", CultureInfo.InvariantCulture);
        var high = (100 * ratios.Max()).ToString("F2", CultureInfo.InvariantCulture);
        return low == high ? low + " %" : $"{low}-{high} %";
    }
}
