using System.Globalization;

namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>Command line: [workload|all] [--runs R] [--n N] [--scale F] [--ext PATH] [--keep] [--no-saturation].</summary>
internal sealed record Options(IReadOnlyList<Workload> Workloads, int Runs, long? Count, double Scale, string Extension, bool Saturation, bool Keep)
{
    public const string Usage = """
        usage: Probes.Bench [all|exec|file|open-read-off|open-read-on|connect|dns] [--runs R] [--n N] [--scale F]
                            [--ext PATH] [--keep] [--no-saturation]
          --runs R         rounds of (alone, osquery-bpf, bpftrace); default 3
          --n N            operations per run for every selected workload (default: each workload's own, about 1-2 s)
          --scale F        multiply the default operation counts by F
          --ext PATH       the extension binary; default artifacts/osquery-bpf.ext of this repository
          --keep           keep the temporary folder (workload binaries, last bpftrace output) and print its path
          --no-saturation  skip the parallel series (file storm, read opens; run with 'all' or 'file')
        """;

    public static Options Parse(string[] args, string repositoryRoot)
    {
        var name = "all";
        var runs = 3;
        long? count = null;
        var scale = 1.0;
        var extension = Path.Combine(repositoryRoot, "artifacts", "osquery-bpf.ext");
        var saturation = true;
        var keep = false;
        for (var i = 0; i < args.Length; i++)
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
                case var other when !other.StartsWith("--", StringComparison.Ordinal):
                    name = other;
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }
        if (runs < 1 || count is < 1 || scale <= 0)
            throw new ArgumentException("--runs, --n and --scale must be positive.");
        var workloads = name == "all" ? Workload.All : Workload.All.Where(w => w.Name == name).ToList();
        if (workloads.Count == 0)
            throw new ArgumentException($"Unknown workload '{name}'; known: all, {string.Join(", ", Workload.All.Select(w => w.Name))}.");
        return new Options(workloads, runs, count, scale, extension, saturation && workloads.Any(w => w.Name == "file"), keep);
    }
}
