using Microsoft.Extensions.Logging;
using OsqueryBpf.Bpf.RingBuffers;
using OsqueryBpf.Events;
using OsqueryBpf.Probes;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.Tables;
using ProbeStatus = OsqueryBpf.Tables.ProbeStatus;

namespace OsqueryBpf.Host.Runtime;

/// <summary>
/// Loads the probes into the kernel and moves their events into the store: one reader thread per ring, decoding
/// each record into a typed event and offering it to the store's bounded queue. One probe failing (verifier,
/// missing kernel feature) leaves the others running, and one hook failing leaves the probe's other hooks running
/// (the probe is then "degraded"); its row in ebpf_probes says why.
/// </summary>
internal sealed class ProbeRunner : IDisposable
{
    // Readers pause this long after emptying their ring, so a busy host does not wake them once per record
    // (benchmarks/Bpf measured 0.08x of a syscall loop's speed without the pause and 0.3-0.5x with it).
    private static readonly TimeSpan ReaderBatchInterval = TimeSpan.FromMilliseconds(1);

    // The probes wake their reader only once RingWakeupBytes are pending (a wake-up per record costs several
    // microseconds of the traced syscall); the reader drains at least this often, so no event waits longer.
    private static readonly TimeSpan ReaderMaxLatency = TimeSpan.FromMilliseconds(100);
    internal const int RingWakeupBytes = 64 * 1024;

    private readonly EventStore _store;
    private readonly ProbeSettings _settings;
    private readonly ILogger _logger;
    private readonly BootClock _clock = new();
    private readonly List<RunningProbe> _probes = new();
    private readonly Timer _statusTimer;

    public ProbeRunner(EventStore store, ProbeSettings settings, IEnumerable<ProbeDefinition> definitions, ILogger logger)
    {
        _store = store;
        _settings = settings;
        _logger = logger;
        foreach (var definition in definitions)
            _probes.Add(new RunningProbe(definition));
        PublishStatus();
        _statusTimer = new Timer(_ => PublishStatus(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>All probes known to the product, by name.</summary>
    public static IReadOnlyDictionary<string, ProbeDefinition> Known { get; } = new Dictionary<string, ProbeDefinition>
    {
        ["process"] = ProbeDefinitions.Process,
        ["file"] = ProbeDefinitions.File,
        ["socket"] = Probes.Network.NetworkProbes.Socket,
        ["dns"] = Probes.Network.NetworkProbes.Dns,
    };

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
        // Loading parses kernel BTF and relocates thousands of instructions: give that memory back to the system
        // now rather than carrying it for the life of a long-running extension.
        Bpf.Btf.KernelBtf.Release();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

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
            probe.Instance = ProbeInstance.Load(definition, _settings);
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

            var collection = probe.Instance.Collection;
            probe.RingBytes = collection.Map(definition.RingMap).MaxEntries;
            probe.Reader = collection.OpenRingBuffer(definition.RingMap, definition.LostMap);
            probe.Reader.BatchInterval = ReaderBatchInterval;
            probe.Reader.MaxLatency = ReaderMaxLatency;
            var decoder = definition.CreateDecoder(_settings, _clock);
            probe.Reader.Start(Handler(probe, decoder), "ring " + definition.RingMap);
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

    private RingRecordHandler Handler(RunningProbe probe, IRecordDecoder decoder)
    {
        var multi = decoder as IMultiEventDecoder;
        var events = new List<Event>();
        return record =>
        {
            if (multi is not null)
            {
                events.Clear();
                if (multi.Decode(record, events) is { } error)
                    probe.Malformed(error, _logger);
                foreach (var evt in events)
                    _store.TryAdd(evt); // a full queue is counted as a drop by the store
            }
            else if (decoder.TryDecode(record, out var evt, out var error))
            {
                _store.TryAdd(evt);
            }
            else
            {
                probe.Malformed(error, _logger);
            }
        };
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
                storeDrops = _store.GetCounters(definition.Table).Dropped;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            var reader = probe.Reader;
            rows.Add(new ProbeStatus
            {
                Name = definition.Name,
                Table = definition.Table,
                Hooks = string.Join(",", definition.Hooks.Select(h => h.ToString())),
                Status = probe.State,
                Error = probe.Error ?? "",
                MissingHooks = probe.MissingHooks ?? "",
                Events = reader?.Received ?? 0,
                Drops = (long)(reader?.Lost ?? 0) + storeDrops + probe.MalformedCount,
                RingBytes = probe.RingBytes,
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

    public void Dispose()
    {
        _statusTimer.Dispose();
        foreach (var probe in _probes)
            probe.Close();
    }

    private sealed class RunningProbe(ProbeDefinition definition)
    {
        private long _malformed;
        private long _lastMalformedLog;

        public ProbeDefinition Definition { get; } = definition;
        public string State { get; set; } = "loading";
        public string? Error { get; set; }
        public ProbeInstance? Instance { get; set; }
        public string? MissingHooks { get; set; }
        public RingBufferReader? Reader { get; set; }
        public long RingBytes { get; set; }
        public long? LoadedAt { get; set; }
        public long MalformedCount => Interlocked.Read(ref _malformed);

        public void Malformed(string error, ILogger logger)
        {
            Interlocked.Increment(ref _malformed);
            // Counted always, logged at most once a minute so a broken decoder cannot flood the log.
            var now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _lastMalformedLog) > 60_000)
            {
                Interlocked.Exchange(ref _lastMalformedLog, now);
                logger.LogWarning("Probe {Probe}: a record was refused ({Count} so far): {Error}", Definition.Name, MalformedCount, error);
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
