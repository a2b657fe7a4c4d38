using System.Diagnostics;
using OsqueryBpf.Benchmarks.Probes;

// Side-by-side benchmark of the event probes; see README.md.
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
foreach (var tool in new[] { "cc", "bpftrace", "dnsmasq" })
{
    if (!OnPath(tool))
    {
        Console.Error.WriteLine($"{tool} is not on PATH; the benchmark needs cc, bpftrace and dnsmasq.");
        return 2;
    }
}
if (!File.Exists(options.Extension))
{
    Console.Error.WriteLine($"The extension {options.Extension} does not exist; publish it first (./build.sh publish).");
    return 2;
}
if (Environment.UserName != "root")
    Console.Error.WriteLine("Warning: not running as root; the probes and bpftrace will probably fail to load.");

var temp = Directory.CreateTempSubdirectory("probes-bench-").FullName;
var clock = Stopwatch.StartNew();
try
{
    var programs = WorkloadPrograms.Compile(Path.Combine(AppContext.BaseDirectory, "workloads"), Path.Combine(temp, "bin"),
        Workload.All.Select(w => w.Program));
    var scratch = Path.Combine(temp, "files");
    Directory.CreateDirectory(scratch);
    var target = Path.Combine(temp, "read-target");
    File.WriteAllText(target, "opened for reading only\n");
    var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
    Console.Error.WriteLine($"extension {options.Extension} ({File.GetLastWriteTimeUtc(options.Extension):u}), {options.Runs} rounds, load {loadBefore}");

    DnsServer? dns = null;
    var measurements = new List<Measurement>();
    List<string>? saturation = null;
    try
    {
        if (options.Workloads.Any(w => w.NeedsDnsServer))
            dns = DnsServer.Start(temp);
        var bench = new Bench(options, programs, new RunContext(temp, scratch, target, dns?.Address ?? "127.0.0.1"));
        foreach (var workload in options.Workloads)
            measurements.AddRange(bench.Run(workload));
        if (options.Saturation)
        {
            saturation = [.. Bench.SaturationHeader];
            foreach (var name in new[] { "file", "open-read-on" })
                saturation.AddRange(bench.Saturation(Workload.All.Single(w => w.Name == name)));
        }
    }
    finally
    {
        dns?.Dispose();
    }

    var loadAfter = File.ReadAllText("/proc/loadavg").Trim();
    Console.WriteLine();
    Console.WriteLine($"Probes benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} CPUs, kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, " +
        $"{options.Runs} rounds, {clock.Elapsed.TotalSeconds:F0} s; load average before: {loadBefore}; after: {loadAfter}");
    Console.WriteLine();
    Console.WriteLine(Report.Markdown(measurements));
    if (saturation is not null)
    {
        Console.WriteLine("Parallel processes under the file probe, a fresh extension per step (stops at the first drop or missing row):");
        Console.WriteLine();
        saturation.ForEach(Console.WriteLine);
    }
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine("The benchmark failed: " + e.Message);
    return 1;
}
finally
{
    TrackedProcesses.KillAll();
    if (options.Keep)
        Console.Error.WriteLine($"Kept {temp}.");
    else
        DeleteFolder(temp);
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
