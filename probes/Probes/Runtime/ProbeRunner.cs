using Microsoft.Extensions.Logging;
using OsqueryBpf.Tables;
using ProbeStatus = OsqueryBpf.Tables.ProbeStatus;

namespace OsqueryBpf.Probes.Runtime;

/// <summary>
/// Loads the probes into the kernel and moves their events into the store: one reader thread per ring, decoding
/// each record into a typed event and offering it to the store's bounded queue. One probe failing (verifier,
/// missing kernel feature) leaves the others running, and one hook failing leaves the probe's other hooks running
/// (the probe is then "degraded"); its row in ebpf_probes says why.
/// </summary>
public sealed class ProbeRunner : IDisposable
{
    // Readers pause this long after emptying their ring, so a busy host does not wake them once per record
    // (benchmarks/Bpf measured 0.08x of a syscall loop's speed without the pause and 0.3-0.5x with it).
    private static readonly TimeSpan ReaderBatchInterval = TimeSpan.FromMilliseconds(1);

    // The probes wake their reader only once RingWakeupBytes are pending (a wake-up per record costs several
    // microseconds of the traced syscall); the reader drains at least this often, so no event waits longer.
    private static readonly TimeSpan ReaderMaxLatency = TimeSpan.FromMilliseconds(100);
    /// <summary>The .rodata ring_wakeup_bytes every probe runs with (see <see cref="ProbeContext.RingWakeupBytes"/>).</summary>
    public const int RingWakeupBytes = 64 * 1024;

    private readonly EventStore _store;
    private readonly ProbeContext _context;
    private readonly ILogger _logger;
    private readonly List<RunningProbe> _probes = new();
    private readonly Timer _statusTimer;

    /// <summary>Prepares <paramref name="probes"/>, each with its settings; nothing is loaded before <see cref="StartAll"/>.
    /// <paramref name="containers"/> names the containers of rows (default: the host's runtimes, in their default places).</summary>
    public ProbeRunner(EventStore store, IEnumerable<(ProbeDefinition Probe, ProbeSettings Settings)> probes, ILogger logger,
        OsqueryBpf.Containers.Attribution.ContainerMap? containers = null)
    {
        _context = new ProbeContext { RingWakeupBytes = RingWakeupBytes, Containers = containers ?? new() };
        _store = store;
        _logger = logger;
        foreach (var (definition, settings) in probes)
            _probes.Add(new RunningProbe(definition, settings));
        PublishStatus();
        _statusTimer = new Timer(_ => PublishStatus(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Loads and starts every probe, one after another (the verifier is single-threaded per program anyway).</summary>
    public void StartAll(CancellationToken cancellationToken)
    {
        foreach (var probe in _probes)
        {
            if (cancellationToken.IsCancellationRequested)
                return;
            Start(probe);
            PublishStatus();
        }
        // Without the cgroup probe, rows still name long-lived containers: the map walks cgroupfs.
        if (_context.Containers.CatchUp is null)
            _context.Containers.SeedFromCgroupFs();
        // Loading parses kernel BTF and relocates thousands of instructions: give that memory back to the system
        // now rather than carrying it for the life of a long-running extension.
        Bpf.Btf.KernelBtf.Release();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>Which container each cgroup id is, as every probe's decoder sees it (ebpf_containers).</summary>
    public OsqueryBpf.Containers.Attribution.ContainerMap Containers => _context.Containers;

    /// <summary>True once every probe has either started or failed.</summary>
    public bool AllSettled => _probes.All(p => p.State is not "loading");

    private void Start(RunningProbe probe)
    {
        var definition = probe.Definition;
        var started = DateTimeOffset.UtcNow;
        try
        {
            // Fitted to this kernel (program variants, kernel-dependent constants), loaded and attached; a hook the
            // kernel cannot serve is reported, not fatal.
            probe.Instance = ProbeInstance.Load(definition, probe.Settings, _context);
            foreach (var hook in probe.Instance.Hooks.Where(h => h.Fallback is not null))
                _logger.LogInformation("Probe {Probe}: {Hook} uses {Fallback}", definition.Name, hook.Hook, hook.Fallback);
            foreach (var hook in probe.Instance.Missing)
            {
                if (hook.Hook.Optional)
                    _logger.LogInformation("Probe {Probe}: optional hook not available: {Hook}", definition.Name, hook.Describe());
                else
                    _logger.LogWarning("Probe {Probe}: hook not running: {Hook}", definition.Name, hook.Describe());
            }
            probe.MissingHooks = string.Join(" | ", probe.Instance.Missing.Select(h => h.Describe()));

            probe.Reader = new ProbeEventReader(probe.Instance, probe.Settings, _context,
                evt => _store.TryAdd(evt), // a full queue is counted as a drop by the store
                ReaderBatchInterval, ReaderMaxLatency);
            probe.Reader.Refused += error => probe.LogRefused(error, _logger);
            definition.Started?.Invoke(probe.Reader, _context);
            probe.LoadedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            probe.State = probe.Instance.Complete ? "running" : "degraded";
            _logger.LogInformation("Probe {Probe} {State} ({Running} of {Hooks} hooks) after {Ms} ms.", definition.Name, probe.State,
                probe.Instance.Hooks.Count(h => h.Running), definition.Hooks.Count, (long)(DateTimeOffset.UtcNow - started).TotalMilliseconds);
        }
        catch (Exception e)
        {
            probe.State = "failed";
            probe.Error = e.Message;
            _logger.LogError("Probe {Probe} failed to start: {Error}", definition.Name, e.Message);
            _logger.LogDebug("{Detail}", e.ToString());
            probe.Close();
        }
    }

    /// <summary>Writes one row per probe into ebpf_probes.</summary>
    public void PublishStatus()
    {
        var rows = new List<ProbeStatus>(_probes.Count);
        foreach (var probe in _probes)
        {
            var definition = probe.Definition;
            long storeDrops = 0;
            try
            {
                storeDrops = definition.Tables.Sum(t => _store.GetCounters(t.Name).Dropped);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            var reader = probe.Reader;
            rows.Add(new ProbeStatus
            {
                Name = definition.Name,
                Table = string.Join(",", definition.Tables.Select(t => t.Name)),
                Hooks = string.Join(",", definition.Hooks.Select(h => h.ToString())),
                Status = probe.State,
                Error = probe.Error ?? "",
                MissingHooks = probe.MissingHooks ?? "",
                Events = reader?.Received ?? 0,
                Drops = (long)(reader?.Lost ?? 0) + storeDrops + (reader?.Malformed ?? 0),
                RingBytes = reader?.RingBytes ?? 0,
                LoadedAt = probe.LoadedAt,
            });
        }
        try
        {
            _store.ReplaceProbeStatus(rows);
        }
        catch (ObjectDisposedException)
        {
            // shutting down
        }
    }

    /// <summary>Detaches and closes every probe.</summary>
    public void Dispose()
    {
        _statusTimer.Dispose();
        foreach (var probe in _probes)
        {
            if (probe.Reader is not null)
                probe.Definition.Stopping?.Invoke(_context);
            probe.Close();
        }
    }

    private sealed class RunningProbe(ProbeDefinition definition, ProbeSettings settings)
    {
        private long _lastRefusalLog;

        public ProbeDefinition Definition { get; } = definition;
        public ProbeSettings Settings { get; } = settings;
        public string State { get; set; } = "loading";
        public string? Error { get; set; }
        public ProbeInstance? Instance { get; set; }
        public string? MissingHooks { get; set; }
        public ProbeEventReader? Reader { get; set; }
        public long? LoadedAt { get; set; }

        /// <summary>Refused records are counted by the reader and logged here at most once a minute, so a broken decoder cannot flood the log.</summary>
        public void LogRefused(string error, ILogger logger)
        {
            var now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _lastRefusalLog) > 60_000)
            {
                Interlocked.Exchange(ref _lastRefusalLog, now);
                logger.LogWarning("Probe {Probe}: a record was refused ({Count} so far): {Error}", Definition.Name, Reader?.Malformed, error);
            }
        }

        public void Close()
        {
            Reader?.Dispose();
            Instance?.Dispose();
            Reader = null;
            Instance = null;
        }
    }

}
