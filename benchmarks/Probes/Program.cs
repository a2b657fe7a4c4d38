using System.Diagnostics;
using System.Globalization;
using OsqueryBpf.Benchmarks.Probes;

// Benchmark of the event probes: side by side with bpftrace, inside a CPU quota, idle memory, profiles; see README.md.
var root = FindRepositoryRoot(AppContext.BaseDirectory);
Options options;
try
{
    options = Options.Parse(args, root);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Options.Usage);
    return 2;
}
var tools = new List<string>();
var needsWorkloads = options.Mode is not (Mode.Memory or Mode.QuotaCheck);
if (needsWorkloads)
    tools.Add("cc");
if (options.Mode is Mode.SideBySide or Mode.Profile)
    tools.Add("bpftrace");
if (options.Mode == Mode.Profile)
    tools.AddRange(["perf", "nm"]);
if (options.Workloads.Any(w => w.NeedsDnsServer))
    tools.Add("dnsmasq");
foreach (var tool in tools)
{
    if (!OnPath(tool))
    {
        Console.Error.WriteLine($"{tool} is not on PATH; this mode needs {string.Join(", ", tools)}.");
        return 2;
    }
}
if (!File.Exists(options.Extension) && options.Mode != Mode.QuotaCheck)
{
    Console.Error.WriteLine($"The extension {options.Extension} does not exist; publish it first (./build.sh package).");
    return 2;
}
if (!Environment.IsPrivilegedProcess)
    Console.Error.WriteLine("Warning: not running as root; the probes and bpftrace will probably fail to load.");

var temp = Directory.CreateTempSubdirectory("probes-bench-").FullName;
var clock = Stopwatch.StartNew();
QuotaCgroup? cgroup = null;
var exitCode = 0;
try
{
    var binaries = Path.Combine(temp, "bin");
    var programs = WorkloadPrograms.Compile(Path.Combine(AppContext.BaseDirectory, "workloads"), binaries,
        needsWorkloads ? Workload.All.Select(w => w.Program) : []);
    if (needsWorkloads)
        WorkloadPrograms.Compile(Path.Combine(AppContext.BaseDirectory, "tools"), binaries, ["ring_watch"]);
    var ringWatch = programs.PathOf("ring_watch");
    var scratch = Path.Combine(temp, "files");
    Directory.CreateDirectory(scratch);
    var target = Path.Combine(temp, "read-target");
    File.WriteAllText(target, "opened for reading only\n");
    var launcher = new ExtensionLauncher(options, temp);
    var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
    var cpuBefore = MachineCpu.Read();
    if (options.Mode != Mode.QuotaCheck)
        Console.Error.WriteLine($"extension {options.Extension} ({File.GetLastWriteTimeUtc(options.Extension):u}), {launcher.StoreDescription}, load {loadBefore}");
    if (options.ExtensionEnvironment.Count > 0)
        Console.Error.WriteLine("extension environment: " + string.Join(" ", options.ExtensionEnvironment.Select(p => $"{p.Key}={p.Value}")));
    if (options.VariantEnvironment.Count > 0)
        Console.Error.WriteLine("variant environment: " + string.Join(" ", options.VariantEnvironment.Select(p => $"{p.Key}={p.Value}")));

    DnsServer? dns = null;
    var report = new List<string>();
    try
    {
        if (options.Workloads.Any(w => w.NeedsDnsServer))
            dns = DnsServer.Start(temp);
        var context = new RunContext(temp, scratch, target, dns?.Address ?? "127.0.0.1");
        switch (options.Mode)
        {
            case Mode.SideBySide:
                report.AddRange(SideBySide(new Bench(options, programs, context, launcher, ringWatch)));
                break;
            case Mode.Quota:
                cgroup = QuotaCgroup.Create(options.QuotaPercent, $"osquery-bpf-bench-{Environment.ProcessId}");
                Console.Error.WriteLine($"quota: {cgroup.Describe()}");
                var ramp = new QuotaRamp(options, programs, context, launcher, ringWatch);
                var results = options.Workloads.Select(w => ramp.Run(w, cgroup)).ToList();
                report.Add($"The extension in {cgroup.Describe()} ({options.QuotaPercent} % of one CPU), {launcher.StoreDescription}, " +
                    $"{options.StepSeconds:F0} s per step:");
                report.Add("");
                report.Add(QuotaRamp.Markdown(results, options.QuotaPercent));
                break;
            case Mode.Memory:
                report.Add(Memory(launcher, options));
                break;
            case Mode.QuotaCheck:
                cgroup = QuotaCgroup.Create(options.QuotaPercent, $"osquery-bpf-bench-{Environment.ProcessId}");
                var (share, throttling) = cgroup.Check(TimeSpan.FromSeconds(3));
                var holds = share > 0.5 * options.QuotaPercent / 100 && share < 1.5 * options.QuotaPercent / 100;
                report.Add($"{cgroup.Describe()}: a busy loop got {100 * share:F1} % of one CPU (limit {options.QuotaPercent} %), " +
                    $"throttled in {throttling.Throttled} of {throttling.Periods} periods: the limit {(holds ? "holds" : "DOES NOT hold")}.");
                if (!holds)
                    exitCode = 1;
                break;
            case Mode.Profile:
                var profiler = new Profiler(options, programs, context, launcher);
                report.AddRange(options.Workloads.Select(profiler.Run));
                break;
        }
    }
    finally
    {
        dns?.Dispose();
    }

    var loadAfter = File.ReadAllText("/proc/loadavg").Trim();
    var machine = MachineCpu.Read() - cpuBefore;
    Console.WriteLine();
    Console.WriteLine($"Probes benchmark ({options.Mode}), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} CPUs, " +
        $"kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, {clock.Elapsed.TotalSeconds:F0} s; " +
        $"load average before: {loadBefore}; after: {loadAfter}; CPUs busy {100 * machine.BusyFraction:F0} % of the time " +
        $"(steal {100 * machine.StealFraction:F0} %)" +
        (options.ExtensionEnvironment.Count > 0 ? "; extension environment: " + string.Join(" ", options.ExtensionEnvironment.Select(p => $"{p.Key}={p.Value}")) : "") +
        (options.VariantEnvironment.Count > 0 ? "; osquery-bpf variant: " + string.Join(" ", options.VariantEnvironment.Select(p => $"{p.Key}={p.Value}")) : ""));
    Console.WriteLine();
    report.ForEach(Console.WriteLine);
    return exitCode;
}
catch (Exception e)
{
    Console.Error.WriteLine("The benchmark failed: " + e.Message);
    return 1;
}
finally
{
    TrackedProcesses.KillAll();
    cgroup?.Dispose();
    if (options.Keep)
        Console.Error.WriteLine($"Kept {temp}.");
    else
        DeleteFolder(temp);
}

static IEnumerable<string> SideBySide(Bench bench)
{
    var measurements = new List<Measurement>();
    var options = bench.Options;
    foreach (var workload in options.Workloads)
        measurements.AddRange(bench.Run(workload));
    yield return Report.Markdown(measurements);
    yield return "Collector CPU per stored row (user/system split as the kernel samples it):";
    yield return "";
    yield return Report.CpuPerRow(measurements);
    if (options.Saturation)
    {
        var saturation = new List<string>(Bench.SaturationHeader);
        foreach (var name in new[] { "file", "open-read-on" })
            saturation.AddRange(bench.Saturation(Workload.All.Single(w => w.Name == name)));
        yield return "Parallel processes under the file probe, a fresh extension per step (stops at the first drop or missing row):";
        yield return "";
        foreach (var line in saturation)
            yield return line;
    }
}

static string Memory(ExtensionLauncher launcher, Options options)
{
    string[] probes = ["process", "file", "socket", "dns"];
    using var extension = launcher.Start(probes, recordReadOpens: false);
    // Idle: what a host agent costs between events, after loading settled (the loader gives its memory back at the end).
    var idle = TimeSpan.FromSeconds(10);
    Thread.Sleep(idle);
    var usage = MemoryReport.Read(extension.Pid, options.Extension);
    var status = MemoryReport.Status(extension.Pid);
    var ringBytes = extension.Query("select ring_bytes from ebpf_probes;").Sum(r => long.Parse(r["ring_bytes"], CultureInfo.InvariantCulture));
    return $"Idle memory {idle.TotalSeconds:F0} s after all four probes were running, {launcher.StoreDescription}, standalone mode:\n\n" +
        MemoryReport.Markdown(usage, ringBytes, status);
}

static void DeleteFolder(string folder)
{
    try
    {
        Directory.Delete(folder, recursive: true);
    }
    catch (IOException e)
    {
        Console.Error.WriteLine($"Could not delete {folder}: {e.Message}");
    }
}

static string FindRepositoryRoot(string start)
{
    for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
    {
        if (File.Exists(Path.Combine(folder.FullName, "Extension.sln")))
            return folder.FullName;
    }
    return Directory.GetCurrentDirectory();
}

static bool OnPath(string tool) =>
    (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(folder => File.Exists(Path.Combine(folder, tool)));
