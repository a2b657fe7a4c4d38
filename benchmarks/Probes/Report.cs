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
                    var cpu = Median(runs.Select(m => m.CollectorCpu.TotalSeconds));
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

    public static string SetupName(Setup setup) => setup switch
    {
        Setup.Alone => "alone",
        Setup.Extension => "osquery-bpf",
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
