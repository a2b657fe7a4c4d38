using System.Globalization;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>What an invocation measures.</summary>
internal enum Mode
{
    /// <summary>Workloads alone, under the extension and under bpftrace, side by side (the default).</summary>
    SideBySide,

    /// <summary>The extension in a CPU-limited cgroup: the highest event rate each probe stores without loss.</summary>
    Quota,

    /// <summary>Idle memory of the extension with all four probes loaded, from /proc/PID/smaps.</summary>
    Memory,

    /// <summary>Where the extension's CPU goes under a storm (perf) and what it allocates per event (uprobes).</summary>
    Profile,

    /// <summary>Whether the CPU quota works on this host: a busy loop in the quota cgroup, and the share of a CPU it gets.</summary>
    QuotaCheck,
}

/// <summary>Command line; see <see cref="Usage"/>.</summary>
internal sealed record Options(
    Mode Mode,
    IReadOnlyList<Workload> Workloads,
    int Runs,
    long? Count,
    double Scale,
    string Extension,
    bool Saturation,
    bool Keep,
    bool InMemoryStore,
    bool Rings,
    IReadOnlyDictionary<string, string> ExtensionEnvironment,
    IReadOnlyDictionary<string, string> VariantEnvironment,
    int QuotaPercent,
    double StepSeconds,
    double? StartRate,
    int MaxSteps)
{
    public const string Usage = """
        usage: Probes.Bench [all|exec|file|open-read-off|open-read-on|connect|dns[,...]] [options]  side by side: alone, osquery-bpf, bpftrace
               Probes.Bench quota [all|file|exec|connect|dns] [options]                       highest rate stored without loss in a CPU quota
               Probes.Bench memory [options]                                                  idle RSS with all four probes, by mapping
               Probes.Bench profile [exec|file|connect|...] [options]                         perf profile and allocations per event
               Probes.Bench quota-check [--quota PCT]                                         a busy loop in the quota cgroup: does the limit hold here?
        options:
          --runs R         rounds of (alone, osquery-bpf, bpftrace); default 3
          --n N            operations per run for every selected workload (default: each workload's own, about 1-2 s)
          --scale F        multiply the default operation counts by F
          --ext PATH       the extension binary; default artifacts/osquery-bpf.ext of this repository
          --keep           keep the temporary folder (workload binaries, last bpftrace output) and print its path
          --no-saturation  skip the parallel series (file storm, read opens; run with 'all' or 'file')
          --store memory|disk  the extension's event store: ':memory:' or a database file in the temporary folder (WAL,
                           as deployed); default memory side by side, disk for quota and memory
          --rings          side by side: also sample how full the probe's ring buffer gets (tools/ring_watch.c, 1 ms)
          --ext-env NAME=VALUE  set an environment variable for the extension (repeatable), e.g. a DOTNET_ runtime knob
          --variant-env NAME=VALUE  side by side: also run "osquery-bpf variant", the extension with this variable
                           (repeatable), after the plain one in every round: a knob measured in the same run
          --quota PCT      quota: CPU allowed to the extension, in percent of one CPU; default 20 (CPUQuota=20%)
          --step-seconds S quota: length of each rate step; default 10
          --start-rate R   quota: first step's events/s (default per probe: file 5000, exec 500, connect 2000, dns 1000);
                           profile: pace the workload to R events/s (default: as fast as it can)
          --max-steps N    quota: at most N steps per probe; default 12
        """;

    private static readonly string[] QuotaWorkloads = ["file", "exec", "connect", "dns"];

    public static Options Parse(string[] args, string repositoryRoot)
    {
        var mode = Mode.SideBySide;
        string? name = null;
        var runs = 3;
        long? count = null;
        var scale = 1.0;
        var extension = Path.Combine(repositoryRoot, "artifacts", "osquery-bpf.ext");
        var saturation = true;
        var keep = false;
        string? store = null;
        var rings = false;
        var environment = new Dictionary<string, string>();
        var variant = new Dictionary<string, string>();
        var quota = 20;
        var stepSeconds = 10.0;
        double? startRate = null;
        var maxSteps = 12;
        var first = 0;
        if (args.Length > 0)
        {
            switch (args[0])
            {
                case "quota": mode = Mode.Quota; first = 1; break;
                case "memory": mode = Mode.Memory; first = 1; break;
                case "profile": mode = Mode.Profile; first = 1; break;
                case "quota-check": mode = Mode.QuotaCheck; first = 1; break;
            }
        }
        for (var i = first; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"The option {args[i]} needs a value.");
            switch (args[i])
            {
                case "--runs":
                    runs = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--n":
                    count = long.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--scale":
                    scale = double.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--ext":
                    extension = Path.GetFullPath(Value());
                    break;
                case "--keep":
                    keep = true;
                    break;
                case "--no-saturation":
                    saturation = false;
                    break;
                case "--store":
                    store = Value();
                    if (store is not ("memory" or "disk"))
                        throw new ArgumentException($"--store is memory or disk, not '{store}'.");
                    break;
                case "--rings":
                    rings = true;
                    break;
                case "--ext-env" or "--variant-env":
                    var option = args[i];
                    var setting = Value().Split('=', 2);
                    if (setting.Length != 2 || setting[0].Length == 0)
                        throw new ArgumentException($"{option} needs NAME=VALUE, not '{string.Join('=', setting)}'.");
                    (option == "--ext-env" ? environment : variant)[setting[0]] = setting[1];
                    break;
                case "--quota":
                    quota = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--step-seconds":
                    stepSeconds = double.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--start-rate":
                    startRate = double.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--max-steps":
                    maxSteps = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case var other when !other.StartsWith("--", StringComparison.Ordinal) && name is null:
                    name = other;
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }
        if (runs < 1 || count is < 1 || scale <= 0 || quota < 1 || stepSeconds <= 0 || startRate is <= 0 || maxSteps < 1)
            throw new ArgumentException("--runs, --n, --scale, --quota, --step-seconds, --start-rate and --max-steps must be positive.");
        name ??= mode == Mode.Profile ? "file" : "all";
        List<Workload> workloads = mode switch
        {
            Mode.Memory or Mode.QuotaCheck => [],
            Mode.Quota when name == "all" => [.. QuotaWorkloads.Select(n => Workload.All.Single(w => w.Name == n))],
            Mode.Quota when name.Split(',').Any(n => !QuotaWorkloads.Contains(n)) =>
                throw new ArgumentException($"quota runs {string.Join(", ", QuotaWorkloads)} or all, not '{name}'."),
            Mode.Quota => [.. name.Split(',').Select(n => Workload.All.Single(w => w.Name == n))],
            Mode.Profile when name == "all" => [.. new[] { "exec", "file", "connect" }.Select(n => Workload.All.Single(w => w.Name == n))],
            _ when name == "all" => [.. Workload.All],
            _ => [.. name.Split(',').Select(n => Workload.All.FirstOrDefault(w => w.Name == n)
                ?? throw new ArgumentException($"Unknown workload '{n}'; known: all, {string.Join(", ", Workload.All.Select(w => w.Name))}."))],
        };
        if (workloads.Count == 0 && mode is not (Mode.Memory or Mode.QuotaCheck))
            throw new ArgumentException($"Unknown workload '{name}'; known: all, {string.Join(", ", Workload.All.Select(w => w.Name))}.");
        var inMemory = (store ?? (mode == Mode.SideBySide || mode == Mode.Profile ? "memory" : "disk")) == "memory";
        return new Options(mode, workloads, runs, count, scale, extension,
            mode == Mode.SideBySide && saturation && workloads.Any(w => w.Name == "file"), keep, inMemory, rings, environment, variant,
            quota, stepSeconds, startRate, maxSteps);
    }
}
