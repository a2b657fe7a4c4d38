using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>
/// The extension's resident memory by kind of mapping, from /proc/PID/smaps: the BPF ring buffers, the binary's
/// own pages, anonymous memory (the GC heap, malloc arenas, thread stacks, the binary's zeroed data), the brk heap,
/// shared libraries.
/// </summary>
/// <remarks>
/// A ring buffer's data pages are mapped twice in a row (so that a record that wraps around the end can be read in
/// one piece): RSS counts them twice, PSS once (a page mapped twice by one process counts half in each mapping).
/// PSS is therefore the memory the rings really take; RSS is what ps and top show.
/// </remarks>
internal static partial class MemoryReport
{
    private const string Rings = "BPF ring buffers (anon_inode:bpf-map)";
    private const string Binary = "the binary's pages (file-backed)";
    private const string Anonymous = "anonymous (GC heap, malloc arenas, thread stacks, .bss)";
    private const string Brk = "[heap] (brk malloc)";
    private const string Libraries = "shared libraries";
    private const string Other = "other ([stack], [vdso], database -shm, ...)";

    public sealed record Usage(string Kind, long RssKiB, long PssKiB, long Mappings);

    public static IReadOnlyList<Usage> Read(int pid, string binary)
    {
        var realBinary = Path.GetFullPath(new FileInfo(binary).ResolveLinkTarget(true)?.FullName ?? binary);
        var rss = new Dictionary<string, long>();
        var pss = new Dictionary<string, long>();
        var count = new Dictionary<string, long>();
        string? kind = null;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var header = MappingHeader().Match(line);
            if (header.Success)
            {
                var name = header.Groups["name"].Value.Trim();
                kind = name switch
                {
                    "" => Anonymous,
                    "anon_inode:bpf-map" => Rings,
                    "[heap]" => Brk,
                    _ when name == realBinary => Binary,
                    _ when name.StartsWith('/') && name.Contains(".so", StringComparison.Ordinal) => Libraries,
                    _ => Other,
                };
                count[kind] = count.GetValueOrDefault(kind) + 1;
                continue;
            }
            if (kind is null)
                continue;
            if (line.StartsWith("Rss:", StringComparison.Ordinal))
                rss[kind] = rss.GetValueOrDefault(kind) + KiB(line);
            else if (line.StartsWith("Pss:", StringComparison.Ordinal))
                pss[kind] = pss.GetValueOrDefault(kind) + KiB(line);
        }
        return [.. new[] { Rings, Binary, Anonymous, Brk, Libraries, Other }
            .Where(rss.ContainsKey)
            .Select(k => new Usage(k, rss[k], pss.GetValueOrDefault(k), count.GetValueOrDefault(k)))];
    }

    public static string Markdown(IReadOnlyList<Usage> usage, long ringBytes, string status)
    {
        var text = new StringBuilder();
        text.AppendLine("| mappings | RSS | PSS | count |");
        text.AppendLine("| --- | ---: | ---: | ---: |");
        foreach (var u in usage)
            text.AppendLine($"| {u.Kind} | {Mib(u.RssKiB)} | {Mib(u.PssKiB)} | {u.Mappings} |");
        text.AppendLine($"| **total** | **{Mib(usage.Sum(u => u.RssKiB))}** | **{Mib(usage.Sum(u => u.PssKiB))}** | |");
        text.AppendLine();
        text.AppendLine($"/proc/PID/status: {status}. The four rings' sizes (ebpf_probes.ring_bytes) add up to {Mib(ringBytes / 1024)}.");
        return text.ToString();
    }

    /// <summary>VmRSS, RssAnon and RssFile of /proc/PID/status.</summary>
    public static string Status(int pid) => string.Join(", ", File.ReadLines($"/proc/{pid}/status")
        .Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal) || l.StartsWith("RssAnon:", StringComparison.Ordinal) ||
                    l.StartsWith("RssFile:", StringComparison.Ordinal))
        .Select(l => $"{l.Split(':')[0]} {Mib(KiB(l))}"));

    private static string Mib(long kib) => (kib / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " MiB";

    private static long KiB(string line) => long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    // "7f7e24728000-7f7e2472a000 rw-p 00000000 00:00 0      [heap]"
    [GeneratedRegex(@"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(?<name>.*)$")]
    private static partial Regex MappingHeader();
}
