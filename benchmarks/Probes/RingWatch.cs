using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>What one ring buffer held between two marks: its size, the most and the mean bytes waiting for the
/// reader, and the bytes produced (records with their 8-byte headers).</summary>
internal sealed record RingSample(string Name, long Size, long Peak, double Mean, long Produced, long Samples)
{
    public double PeakFraction => Size == 0 ? 0 : (double)Peak / Size;
}

/// <summary>
/// tools/ring_watch.c attached to the extension: samples how far each of its BPF ring buffers is filled, from
/// outside the process (the extension is not changed for it). <see cref="Mark"/> returns the figures since the
/// previous mark.
/// </summary>
internal sealed partial class RingWatch : IDisposable
{
    private readonly Process _process;

    private RingWatch(Process process) => _process = process;

    /// <summary>Starts sampling the rings of process <paramref name="pid"/> every <paramref name="intervalMicroseconds"/>.</summary>
    public static RingWatch Start(string binary, int pid, int intervalMicroseconds)
    {
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(intervalMicroseconds.ToString(CultureInfo.InvariantCulture));
        var watch = new RingWatch(TrackedProcesses.Start(info));
        var first = watch._process.StandardOutput.ReadLine();
        if (first is null || !first.StartsWith("rings ", StringComparison.Ordinal))
        {
            var errors = watch._process.StandardError.ReadToEnd();
            watch.Dispose();
            throw new InvalidOperationException($"ring_watch could not attach to process {pid}: {errors.Trim()}");
        }
        return watch;
    }

    /// <summary>The figures of every ring since the previous mark (or the start).</summary>
    public IReadOnlyList<RingSample> Mark()
    {
        _process.StandardInput.WriteLine("mark");
        _process.StandardInput.Flush();
        var samples = new List<RingSample>();
        while (_process.StandardOutput.ReadLine() is { } line && line != "end")
        {
            var match = RingLine().Match(line);
            if (!match.Success)
                continue;
            long Number(string group) => long.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
            samples.Add(new RingSample(match.Groups["name"].Value, Number("size"), Number("peak"),
                double.Parse(match.Groups["mean"].Value, CultureInfo.InvariantCulture), Number("produced"), Number("samples")));
        }
        return samples;
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close(); // end of input ends it
        }
        catch (IOException)
        {
            // already gone
        }
        TrackedProcesses.WaitOrKill(_process, TimeSpan.FromSeconds(5));
        _process.Dispose();
    }

    [GeneratedRegex(@"^ring id=\d+ name=(?<name>\S*) size=(?<size>\d+) peak=(?<peak>\d+) mean=(?<mean>[0-9.]+) produced=(?<produced>\d+) samples=(?<samples>\d+)$")]
    private static partial Regex RingLine();
}
