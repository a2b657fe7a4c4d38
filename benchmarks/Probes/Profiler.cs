using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>
/// Where the extension's CPU goes under a storm, and what it allocates per stored row. Two runs per workload,
/// each with a fresh extension: one under `perf record -g -p PID` (sampled stacks, frame pointers: NativeAOT code
/// keeps them), one under bpftrace uprobes on the runtime's allocation entry points (RhpNewFast, RhNewString,
/// RhpNewArrayFast, ...), counting calls by type (the MethodTable passed in the first argument), by caller (the
/// return address on the stack at entry) and in bytes (the MethodTable's base size plus length times component
/// size), and the garbage collections (WKS::GCHeap::GarbageCollectGeneration).
/// </summary>
/// <remarks>
/// Both need the binary's symbol table: publish a copy with -p:StripSymbols=false and pass it with --ext (the
/// shipped artifact is stripped; its code is the same). The uprobes cost microseconds per allocation, so the
/// second run's pace says nothing; its counts are exact.
/// </remarks>
internal sealed partial class Profiler(Options options, WorkloadPrograms programs, RunContext context, ExtensionLauncher launcher)
{
    private const int TopSymbols = 25;
    private const int TopAllocations = 15;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    // Allocation entry points of the NativeAOT runtime: (symbol, size expression for bpftrace).
    private static readonly (string Symbol, string Bytes)[] Allocators =
    [
        ("RhpNewFast", "*(uint32 *)(arg0 + 4)"),
        ("RhpNewFinalizable", "*(uint32 *)(arg0 + 4)"),
        ("RhpNewObject", "*(uint32 *)(arg0 + 4)"),
        ("RhNewString", "*(uint32 *)(arg0 + 4) + arg1 * 2"),
        ("RhpNewArrayFast", "*(uint32 *)(arg0 + 4) + arg1 * *(uint16 *)arg0"),
        ("RhpNewPtrArrayFast", "*(uint32 *)(arg0 + 4) + arg1 * 8"),
        ("RhpNewVariableSizeObject", "*(uint32 *)(arg0 + 4) + arg1 * *(uint16 *)arg0"),
    ];

    // WKS::gc_heap::garbage_collect(int n): every collection of the workstation GC, n the generation condemned first.
    private const string GarbageCollection = "_ZN3WKS7gc_heap15garbage_collectEi";

    public string Run(Workload workload)
    {
        var count = options.Count ?? (long)(workload.DefaultCount * options.Scale * 5);
        var symbols = Symbols.Load(options.Extension);
        var text = new StringBuilder();
        text.AppendLine($"### {workload.Name}: {count:N0} operations, {launcher.StoreDescription}");
        text.AppendLine();
        if (!symbols.Has("RhpNewFast"))
        {
            text.AppendLine($"{options.Extension} has no symbol table: publish it with -p:StripSymbols=false and pass it with --ext.");
            return text.ToString();
        }
        text.Append(PerfRun(workload, count));
        text.Append(AllocationRun(workload, count, symbols));
        return text.ToString();
    }

    private string PerfRun(Workload workload, long count)
    {
        var text = new StringBuilder();
        var data = Path.Combine(context.TempFolder, $"perf-{workload.Name}.data");
        using (var extension = launcher.Start([workload.Probe], workload.RecordReadOpens))
        {
            var info = new ProcessStartInfo("perf") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { "record", "-F", "1999", "-g", "-p", extension.Pid.ToString(CultureInfo.InvariantCulture), "-o", data })
                info.ArgumentList.Add(argument);
            // The syscalls the extension makes, counted in the kernel (one tracepoint: a fraction of a microsecond each).
            var pid = extension.Pid.ToString(CultureInfo.InvariantCulture);
            using var census = BpftraceSession.Start(
                $"tracepoint:raw_syscalls:sys_enter /pid == {pid}/ {{ @syscalls[args->id] = count(); }}\n", context.TempFolder, 64, TimeSpan.FromSeconds(90));
            using var perf = TrackedProcesses.Start(info);
            var perfErrors = perf.StandardError.ReadToEndAsync();
            Thread.Sleep(TimeSpan.FromSeconds(1)); // perf attaches to every thread of the process
            var cpuBefore = extension.CpuTimes;
            var clock = Stopwatch.StartNew();
            var result = programs.Run(workload.Program, count, workload.Arguments(context), OperationsPerSecond(workload));
            Thread.Sleep(Settle);
            var cpu = extension.CpuTimes - cpuBefore;
            var seconds = clock.Elapsed.TotalSeconds;
            Signal(perf, "INT");
            TrackedProcesses.WaitOrKill(perf, TimeSpan.FromSeconds(30));
            var syscalls = MapLine().Matches(census.StopAndRead())
                .Select(m => (Number: int.Parse(m.Groups["key"].Value, CultureInfo.InvariantCulture), Count: long.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))
                .OrderByDescending(p => p.Count).ToList();
            var (rows, _) = Bench.CountRows(extension, workload, context, result.Pid, context.ScratchFolder);
            Thread.Sleep(TimeSpan.FromSeconds(1.2)); // ebpf_probes is refreshed every second
            var status = extension.ProbeStatus(workload.Probe);
            text.AppendLine($"perf run: the workload did {result.OperationsPerSecond:N0} operations/s" +
                (OperationsPerSecond(workload) is { } paced ? $" (paced to {paced:N0})" : " (as fast as it could)") +
                $"; {status.Events:N0} records received, {rows:N0} of {workload.ExpectedRows(result.Operations):N0} rows stored, {status.Drops:N0} dropped; " +
                $"extension CPU {cpu.Total.TotalSeconds:F2} s ({cpu.User.TotalSeconds:F2} user, " +
                $"{cpu.System.TotalSeconds:F2} system) = {(status.Events > 0 ? cpu.Total.TotalMicroseconds / status.Events : 0):F2} µs per record " +
                $"(with perf sampling at 1999 Hz). {perfErrors.Result.Trim().Split('\n').LastOrDefault()}");
            text.AppendLine();
            text.AppendLine($"Syscalls of the extension over the {seconds:F1} s from the workload's start to 1 s after its end:");
            text.AppendLine();
            text.AppendLine("| syscall | calls | per second | per record |");
            text.AppendLine("| --- | ---: | ---: | ---: |");
            foreach (var (number, calls) in syscalls.Take(12))
                text.AppendLine($"| {SyscallName(number)} | {calls:N0} | {calls / seconds:N0} | {(status.Events > 0 ? (double)calls / status.Events : 0):F3} |");
        }
        text.AppendLine();
        text.AppendLine("Samples by thread:");
        text.AppendLine();
        text.AppendLine("| thread | share |");
        text.AppendLine("| --- | ---: |");
        foreach (var (share, name) in PerfReport(data, "comm").Take(8))
            text.AppendLine($"| {name} | {share:F1} % |");
        text.AppendLine();
        text.AppendLine($"Top {TopSymbols} functions by self time (all threads):");
        text.AppendLine();
        text.AppendLine("| self | function |");
        text.AppendLine("| ---: | --- |");
        foreach (var (share, name) in PerfReport(data, "dso,symbol").Take(TopSymbols))
            text.AppendLine($"| {share:F1} % | {Tidy(name)} |");
        text.AppendLine();
        text.AppendLine("Callers (inclusive time) of the product's own code, top 20:");
        text.AppendLine();
        text.AppendLine("| inclusive | function |");
        text.AppendLine("| ---: | --- |");
        foreach (var (share, name) in PerfReport(data, "symbol", children: true)
                     .Where(p => p.Name.Contains("OsqueryBpf", StringComparison.Ordinal) || p.Name.Contains("Sqlite", StringComparison.OrdinalIgnoreCase))
                     .Take(20))
            text.AppendLine($"| {share:F1} % | {Tidy(name)} |");
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>(share in percent, name) lines of perf report, sorted by share.</summary>
    private static List<(double Share, string Name)> PerfReport(string data, string sort, bool children = false)
    {
        var info = new ProcessStartInfo("perf") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "report", "-i", data, "--stdio", "-g", "none", "--sort", sort, "--percent-limit", "0.3",
                     children ? "--children" : "--no-children" })
            info.ArgumentList.Add(argument);
        using var report = TrackedProcesses.Start(info);
        var errors = report.StandardError.ReadToEndAsync();
        var output = report.StandardOutput.ReadToEnd();
        TrackedProcesses.WaitOrKill(report, TimeSpan.FromMinutes(2));
        var lines = new List<(double, string)>();
        foreach (var line in output.Split('\n'))
        {
            // --no-children: "    24.34%  [k] finish_task_switch"; --children: "    43.55%     0.00%  [.] name"
            var match = ReportLine().Match(line);
            if (match.Success)
                lines.Add((double.Parse(match.Groups["share"].Value, CultureInfo.InvariantCulture), match.Groups["name"].Value.Trim()));
        }
        if (lines.Count == 0)
            Console.Error.WriteLine($"  perf report --sort {sort} gave no lines: {errors.Result.Trim()}");
        return lines;
    }

    private string AllocationRun(Workload workload, long count, Symbols symbols)
    {
        var text = new StringBuilder();
        using var extension = launcher.Start([workload.Probe], workload.RecordReadOpens);
        var binary = Path.GetFullPath(options.Extension);
        var pid = extension.Pid.ToString(CultureInfo.InvariantCulture);
        var script = new StringBuilder();
        foreach (var (symbol, bytes) in Allocators)
        {
            script.AppendLine($"uprobe:{binary}:{symbol} /pid == {pid}/ {{ @types[arg0] = count(); @sites[*(uint64 *)reg(\"sp\")] = count(); " +
                $"@bytes = sum({bytes}); @allocations = count(); }}");
        }
        script.AppendLine($"uprobe:{binary}:{GarbageCollection} /pid == {pid}/ {{ @collections = count(); }}");
        script.AppendLine($"tracepoint:syscalls:sys_enter_mprotect /pid == {pid}/ {{ @mprotect = count(); }}");
        using var trace = BpftraceSession.Start(script.ToString(), context.TempFolder, 64, TimeSpan.FromSeconds(90));
        var cpuBefore = extension.CpuTimes;
        var result = programs.Run(workload.Program, count, workload.Arguments(context), OperationsPerSecond(workload));
        Thread.Sleep(Settle);
        var cpu = extension.CpuTimes - cpuBefore;
        var output = trace.StopAndRead();
        var (rows, _) = Bench.CountRows(extension, workload, context, result.Pid, context.ScratchFolder);
        var status = extension.ProbeStatus(workload.Probe);
        var baseAddress = LoadAddress(extension.Pid, binary);
        long Scalar(string name) => ScalarLine().Matches(output).Where(m => m.Groups["name"].Value == name)
            .Select(m => long.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)).FirstOrDefault();
        Dictionary<string, long> ByName(string map, bool returnAddress)
        {
            var counts = new Dictionary<string, long>();
            foreach (Match m in MapLine().Matches(output))
            {
                if (m.Groups["map"].Value != map)
                    continue;
                var address = ulong.Parse(m.Groups["key"].Value, CultureInfo.InvariantCulture);
                // A return address points just past the call: look up the byte before it.
                var name = symbols.Name(address - baseAddress - (returnAddress ? 1UL : 0UL)) ?? $"0x{address:x}";
                counts[name] = counts.GetValueOrDefault(name) + long.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
            return counts;
        }
        var allocations = Scalar("allocations");
        if (allocations == 0)
            text.AppendLine($"bpftrace printed no allocation counts; its output ended with: {string.Join(" / ", output.Trim().Split('\n').TakeLast(5))}");
        // Per record taken from the ring: a record decoded and then refused by the full store queue (the uprobes slow
        // the extension down) allocated as much as a stored one.
        var received = status.Events;
        var perRow = received > 0 ? 1.0 / received : 0;
        text.AppendLine($"Allocation run (uprobes; the pace is not meaningful): {received:N0} records received, {rows:N0} of the workload's rows " +
            $"stored, {status.Drops:N0} dropped; {allocations:N0} allocations = **{allocations * perRow:F2} per record**, " +
            $"{Scalar("bytes"):N0} bytes = **{Scalar("bytes") * perRow:F0} bytes per record**; {Scalar("collections"):N0} garbage collections" +
            (Scalar("collections") > 0 ? $" ({Scalar("bytes") / Scalar("collections") / 1048576.0:F0} MiB allocated per collection), " : " (all of it within one gen0 budget), ") +
            $"{Scalar("mprotect"):N0} mprotect calls (the GC committing memory); extension CPU {cpu.Total.TotalSeconds:F2} s.");
        text.AppendLine();
        text.AppendLine("| allocated type | per record | | allocating function | per record |");
        text.AppendLine("| --- | ---: | --- | --- | ---: |");
        var types = ByName("types", returnAddress: false).OrderByDescending(p => p.Value).Take(TopAllocations).ToList();
        var sites = ByName("sites", returnAddress: true).OrderByDescending(p => p.Value).Take(TopAllocations).ToList();
        for (var i = 0; i < Math.Max(types.Count, sites.Count); i++)
        {
            var type = i < types.Count ? $"{TypeName(types[i].Key)} | {types[i].Value * perRow:F3}" : " | ";
            var site = i < sites.Count ? $"{Tidy(sites[i].Key)} | {sites[i].Value * perRow:F3}" : " | ";
            text.AppendLine($"| {type} | | {site} |");
        }
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>The pace for --rate (events/s of the workload), or null: as fast as it can.</summary>
    private double? OperationsPerSecond(Workload workload) => options.StartRate / workload.RowsPerOperation;

    // x86_64 numbers of the syscalls an extension makes; others are shown by number.
    private static readonly Dictionary<int, string> SyscallNames = new()
    {
        [0] = "read", [1] = "write", [3] = "close", [5] = "fstat", [7] = "poll", [8] = "lseek", [9] = "mmap", [10] = "mprotect",
        [11] = "munmap", [12] = "brk", [13] = "rt_sigaction", [14] = "rt_sigprocmask", [17] = "pread64", [18] = "pwrite64",
        [20] = "writev", [24] = "sched_yield", [28] = "madvise", [35] = "nanosleep", [39] = "getpid", [72] = "fcntl",
        [74] = "fsync", [75] = "fdatasync", [186] = "gettid", [202] = "futex", [228] = "clock_gettime", [230] = "clock_nanosleep",
        [232] = "epoll_wait", [257] = "openat", [262] = "newfstatat", [281] = "epoll_pwait", [284] = "eventfd", [291] = "epoll_create1",
        [321] = "bpf", [441] = "epoll_pwait2",
    };

    private static string SyscallName(int number) => SyscallNames.GetValueOrDefault(number) ?? $"#{number}";

    /// <summary>Where the binary's first mapping starts in the process (a PIE's symbol values are offsets from it).</summary>
    private static ulong LoadAddress(int pid, string binary)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/maps"))
        {
            // "55ab80e00000-55ab80f00000 r--p 00000000 fe:01 1234  /path"
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 6 && fields[5] == binary && fields[2] == "00000000")
                return ulong.Parse(fields[0].Split('-')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"{binary} is not mapped in process {pid}.");
    }

    private static void Signal(Process process, string signal)
    {
        using var kill = TrackedProcesses.Start(new ProcessStartInfo("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]));
        TrackedProcesses.WaitOrKill(kill, TimeSpan.FromSeconds(10));
    }

    // A MethodTable's symbol is its C++-style vtable name: _ZTV<length><type>.
    private static string TypeName(string symbol) => Tidy(VtableSymbol().Replace(symbol, ""));

    /// <summary>Shortens NativeAOT's symbol names: "OsqueryBpf_Tables_OsqueryBpf_Tables_EventStore__TryBind" to "Tables.EventStore::TryBind".</summary>
    private static string Tidy(string name)
    {
        name = name.Replace("S_P_CoreLib_", "CoreLib.", StringComparison.Ordinal)
            .Replace("OsqueryBpf_Tables_OsqueryBpf_Tables_", "Tables.", StringComparison.Ordinal)
            .Replace("OsqueryBpf_Probes_OsqueryBpf_Probes_", "Probes.", StringComparison.Ordinal)
            .Replace("OsqueryBpf_Bpf_OsqueryBpf_Bpf_", "Bpf.", StringComparison.Ordinal)
            .Replace("OsqueryBpf_Events_OsqueryBpf_Events_", "Events.", StringComparison.Ordinal)
            .Replace("osquery_bpf_ext_OsqueryBpf_Host_", "Host.", StringComparison.Ordinal)
            .Replace("OsqueryBpf_Dns_OsqueryBpf_Dns_", "Dns.", StringComparison.Ordinal)
            .Replace("Microsoft_Data_Sqlite_Microsoft_Data_Sqlite_", "Sqlite.", StringComparison.Ordinal)
            .Replace("OsqueryBpf_Events_", "Events.", StringComparison.Ordinal)
            .Replace("__", "::", StringComparison.Ordinal)
            .Replace("|", "\\|", StringComparison.Ordinal);
        name = string.Join(' ', name.Split(' ', StringSplitOptions.RemoveEmptyEntries)); // perf pads its columns
        return name.Length <= 140 ? name : name[..137] + "...";
    }

    [GeneratedRegex(@"^\s+(?<share>[0-9.]+)%\s+(?:[0-9.]+%\s+)?(?<name>\S.*?)\s*$")]
    private static partial Regex ReportLine();

    [GeneratedRegex(@"^@(?<name>\w+): (?<value>\d+)$", RegexOptions.Multiline)]
    private static partial Regex ScalarLine();

    [GeneratedRegex(@"^@(?<map>\w+)\[(?<key>\d+)\]: (?<value>\d+)$", RegexOptions.Multiline)]
    private static partial Regex MapLine();

    [GeneratedRegex(@"^_ZTV\d+")]
    private static partial Regex VtableSymbol();

    /// <summary>The binary's symbol table (nm), to name code and MethodTable addresses.</summary>
    private sealed class Symbols
    {
        private readonly ulong[] _addresses;
        private readonly string[] _names;
        private readonly HashSet<string> _all;

        private Symbols(List<(ulong Address, string Name)> symbols)
        {
            symbols.Sort((a, b) => a.Address.CompareTo(b.Address));
            _addresses = [.. symbols.Select(s => s.Address)];
            _names = [.. symbols.Select(s => s.Name)];
            _all = [.. _names];
        }

        public static Symbols Load(string binary)
        {
            var info = new ProcessStartInfo("nm") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "--defined-only", binary })
                info.ArgumentList.Add(argument);
            using var nm = TrackedProcesses.Start(info);
            _ = nm.StandardError.ReadToEndAsync();
            var symbols = new List<(ulong, string)>();
            string? line;
            while ((line = nm.StandardOutput.ReadLine()) is not null)
            {
                var fields = line.Split(' ', 3);
                if (fields.Length == 3 && ulong.TryParse(fields[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var address))
                    symbols.Add((address, fields[2]));
            }
            TrackedProcesses.WaitOrKill(nm, TimeSpan.FromMinutes(1));
            return new Symbols(symbols);
        }

        public bool Has(string name) => _all.Contains(name);

        /// <summary>The symbol at or before <paramref name="address"/>.</summary>
        public string? Name(ulong address)
        {
            var index = Array.BinarySearch(_addresses, address);
            if (index < 0)
                index = ~index - 1;
            return index >= 0 ? _names[index] : null;
        }
    }
}
