namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>
/// Starts osquery-bpf.ext --standalone the way every mode of the benchmark runs it: only the given probes, a row
/// limit no run reaches, the store in memory or in a database file of the run's temporary folder (WAL, as
/// deployed), and the environment given with --ext-env.
/// </summary>
internal sealed class ExtensionLauncher(Options options, string tempFolder)
{
    // The file probe's verifier work takes about a second of CPU here; inside a 20 % quota that is five or more.
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(180);
    private int _starts;

    /// <summary>A description of the store, for the report.</summary>
    public string StoreDescription => options.InMemoryStore ? "store in memory (:memory:)" : "store on disk (WAL, in the temporary folder)";

    /// <summary>Starts it with <paramref name="probes"/>; <paramref name="extraEnvironment"/> comes on top of --ext-env.</summary>
    public ExtensionSession Start(IReadOnlyList<string> probes, bool recordReadOpens, QuotaCgroup? cgroup = null,
        IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var start = ++_starts;
        var configFile = Path.Combine(tempFolder, $"osquery-bpf-{start}.json");
        // Probe names are plain words; written by hand so the benchmark also builds with NativeAOT (no reflection).
        File.WriteAllText(configFile, $"{{\"probes\": [{string.Join(", ", probes.Select(p => $"\"{p}\""))}], " +
            $"\"record_read_opens\": {(recordReadOpens ? "true" : "false")}, \"max_rows\": 5000000}}");
        var arguments = new List<string> { "--config", configFile };
        if (!options.InMemoryStore)
        {
            // Standalone mode keeps its store in memory unless --database names a file.
            var folder = Path.Combine(tempFolder, $"store-{start}");
            Directory.CreateDirectory(folder);
            arguments.AddRange(["--database", Path.Combine(folder, "events.db")]);
        }
        var environment = new Dictionary<string, string>(options.ExtensionEnvironment);
        foreach (var (name, value) in extraEnvironment ?? new Dictionary<string, string>())
            environment[name] = value;
        return ExtensionSession.Start(options.Extension, arguments, probes, LoadTimeout, environment, cgroup);
    }
}
