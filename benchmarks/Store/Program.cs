using System.Diagnostics;
using System.Globalization;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes;
using OsqueryBpf.Tables;

// Measures the store on the file-event row shape:
//  1. ingest rows/s through TryAdd -> channel -> batch writer (producer retries when the channel is full, so the
//     figure is the writer's throughput);
//  2. server-side generate latency for a time window selecting 10,000 of the buffered rows (min and median);
//  3. RSS of this process with all rows buffered.
var mode = args.Length > 0 ? args[0] : "disk";
var rows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
if (mode is not ("disk" or "memory"))
{
    Console.Error.WriteLine("usage: Store.Bench [disk|memory] [rows]");
    return 2;
}

var folder = Path.Combine(Path.GetTempPath(), "store-bench-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(folder);
try
{
    var baseTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1800;
    // Events are made on the fly, as the probes make them, so the RSS figure is the store's and not a test array's.
    FileEvent MakeEvent(int i) => new()
    {
        Time = baseTime + (long)i * 1800 / rows,
        BootTimeNs = 1_000_000_000UL + (ulong)i * 1000,
        Tid = 1000 + i % 50, Pid = 1000 + i % 50, Parent = 1, Uid = 0, Gid = 0,
        CgroupId = 4242, ContainerId = "", Comm = "writer",
        Action = i % 3 == 0 ? "create" : "open", Syscall = "openat",
        Path = "/var/tmp/bench/file-" + (i % 1000).ToString(CultureInfo.InvariantCulture) + ".log",
        Flags = "O_WRONLY|O_CREAT|O_TRUNC", Mode = "0644", ExitCode = 3, Inode = 100_000 + i,
        Executable = "/usr/bin/writer", Cwd = "/var/tmp",
    };

    // Warm-up: let the JIT reach its optimised code first (the shipped binary is NativeAOT and has no JIT).
    await using (var warmUp = EventStore.Open(new StoreOptions { DatabasePath = StoreOptions.InMemory }, ProbeCatalog.Tables))
    {
        for (var i = 0; i < 100_000; i++)
        {
            var e = MakeEvent(i);
            while (!warmUp.TryAdd(e))
                Thread.Sleep(1);
        }
        await warmUp.FlushAsync();
        for (var run = 0; run < 20; run++)
            await warmUp.QueryAsync("ebpf_file_events", [new ColumnConstraint("time", ConstraintOperator.GreaterThan, "0")], null);
    }

    var options = new StoreOptions
    {
        DatabasePath = mode == "memory" ? StoreOptions.InMemory : Path.Combine(folder, "events.db"),
        MaxRowsPerTable = rows,
        MaxAgeSeconds = 7200,
        Log = line => Console.Error.WriteLine("store: " + line),
    };
    await using var store = EventStore.Open(options, ProbeCatalog.Tables);

    var process = Process.GetCurrentProcess();
    var cpuBefore = process.TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < rows; i++)
    {
        var e = MakeEvent(i);
        while (!store.TryAdd(e))
            Thread.Sleep(1); // channel full: let the writer catch up (drops are counted, and reported below)
    }
    await store.FlushAsync();
    watch.Stop();
    process.Refresh();
    var cpu = process.TotalProcessorTime - cpuBefore;
    var counters = store.GetCounters("ebpf_file_events");
    Console.WriteLine($"mode={mode} rows={counters.Rows} written={counters.Written} dropped-then-retried={counters.Dropped}");
    Console.WriteLine($"ingest: {counters.Written / watch.Elapsed.TotalSeconds:N0} rows/s wall ({watch.Elapsed.TotalSeconds:F2} s); " +
        $"process CPU {cpu.TotalSeconds:F2} s = {counters.Written / cpu.TotalSeconds:N0} rows per CPU-second (producer + writer); load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

    // The writer alone: queue a batch of events while the writer is held, then time how fast it drains them.
    {
        var writerOnly = Math.Min(rows, 200_000);
        var writerOptions = new StoreOptions
        {
            DatabasePath = mode == "memory" ? StoreOptions.InMemory : Path.Combine(folder, "writer-only.db"),
            ChannelCapacity = writerOnly, MaxRowsPerTable = rows, MaxAgeSeconds = 7200,
        };
        await using var writerStore = EventStore.Open(writerOptions, ProbeCatalog.Tables);
        using (await writerStore.PauseWriterAsync())
        {
            for (var i = 0; i < writerOnly; i++)
                writerStore.TryAdd(MakeEvent(i));
        }
        process.Refresh();
        var writerCpuBefore = process.TotalProcessorTime;
        var writerWatch = Stopwatch.StartNew();
        await writerStore.FlushAsync();
        writerWatch.Stop();
        process.Refresh();
        var written = writerStore.GetCounters("ebpf_file_events").Written;
        Console.WriteLine($"writer alone: {written / writerWatch.Elapsed.TotalSeconds:N0} rows/s wall, " +
            $"{written / (process.TotalProcessorTime - writerCpuBefore).TotalSeconds:N0} rows per CPU-second ({written} rows queued first)");
    }

    // A time window holding 10,000 rows: rows are spread evenly over 1800 s.
    var secondsFor10k = (int)Math.Round(10_000.0 * 1800 / rows); // 18 s of the 1800 s at 1,000,000 rows
    var from = baseTime + 600;
    var constraints = new[]
    {
        new ColumnConstraint("time", ConstraintOperator.GreaterThanOrEquals, from.ToString(CultureInfo.InvariantCulture)),
        new ColumnConstraint("time", ConstraintOperator.LessThan, (from + secondsFor10k).ToString(CultureInfo.InvariantCulture)),
    };
    var timings = new List<double>();
    var cpuTimings = new List<double>();
    var matched = 0;
    for (var run = 0; run < 9; run++)
    {
        process.Refresh();
        var queryCpu = process.TotalProcessorTime;
        var queryWatch = Stopwatch.StartNew();
        var result = await store.QueryAsync("ebpf_file_events", constraints, null);
        queryWatch.Stop();
        process.Refresh();
        matched = result.Count;
        timings.Add(queryWatch.Elapsed.TotalMilliseconds);
        cpuTimings.Add((process.TotalProcessorTime - queryCpu).TotalMilliseconds);
    }
    timings.Sort();
    cpuTimings.Sort();
    Console.WriteLine($"generate (time window, {matched} rows, all columns): min {timings[0]:F1} ms, median {timings[timings.Count / 2]:F1} ms over {timings.Count} runs " +
        $"(process CPU min {cpuTimings[0]:F1} ms, median {cpuTimings[cpuTimings.Count / 2]:F1} ms)");

    var countTimings = new List<double>();
    for (var run = 0; run < 9; run++)
    {
        var queryWatch = Stopwatch.StartNew();
        var result = await store.QueryAsync("ebpf_file_events", constraints, Array.Empty<string>());
        queryWatch.Stop();
        countTimings.Add(queryWatch.Elapsed.TotalMilliseconds);
    }
    countTimings.Sort();
    Console.WriteLine($"generate (same window, no columns, e.g. count(*)): min {countTimings[0]:F1} ms, median {countTimings[countTimings.Count / 2]:F1} ms");

    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true); // give freed heap back to the OS
    Console.WriteLine($"rss with {counters.Rows} rows buffered: {ReadRssMiB():F1} MiB (managed heap {GC.GetTotalMemory(false) / 1048576.0:F1} MiB)");
    if (mode == "disk")
    {
        Console.WriteLine($"database file: {new FileInfo(options.DatabasePath).Length / 1048576.0:F1} MiB");
        await store.DisposeAsync();
        var reopenWatch = Stopwatch.StartNew();
        await using var reopened = EventStore.Open(options, ProbeCatalog.Tables); // includes PRAGMA quick_check of the whole file
        reopenWatch.Stop();
        Console.WriteLine($"reopen with {reopened.GetCounters("ebpf_file_events").Rows} rows (integrity check, counts): {reopenWatch.Elapsed.TotalMilliseconds:F0} ms");
    }
    return 0;
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static double ReadRssMiB()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
    return double.NaN;
}
