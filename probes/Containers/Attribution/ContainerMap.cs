using OsqueryBpf.Containers.Cgroups;
using OsqueryBpf.Containers.Classification;
using OsqueryBpf.Containers.Metadata;

namespace OsqueryBpf.Containers.Attribution;

/// <summary>
/// Which container each cgroup v2 id is, learned from the kernel: the cgroup probe's mkdir, rmdir and rename records,
/// and a walk of cgroupfs at start for the cgroups that existed before. Event rows carry the cgroup id the kernel
/// gave them; <see cref="Attribute"/> turns it into the container columns. Thread-safe.
/// </summary>
/// <remarks>
/// <para>Never racy: a cgroup's mkdir record is written inside mkdir(2), before any process can be in it, so before
/// any row that carries its id. Rows come through other rings than the cgroup records, so a row can be decoded
/// before the record that made its cgroup: an unknown id first drains the cgroup ring (<see cref="CatchUp"/>), which
/// then holds every record written before the row. Removed cgroups stay known (ids are never reused while the
/// kernel runs), so rows of a container that lived a few milliseconds are still attributed when decoded late.</para>
/// <para>Never forged: a cgroup is a container only where a runtime's layout puts it (<see cref="CgroupClassifier"/>),
/// and a cgroup a user owns is that user's rootless container at most ("UID/ID"). Nothing is read from
/// /proc/PID/cgroup, which says where a process is now rather than where it was at the event.</para>
/// <para>Without the cgroup probe (disabled, or its kernel lacks the tracepoints) the map is fed by walks only: an
/// unknown id walks cgroupfs again, at most once every <see cref="RewalkInterval"/>. Short-lived containers are then
/// missed, and ebpf_probes shows the probe is not running.</para>
/// </remarks>
public sealed class ContainerMap
{
    /// <summary>Cgroups kept at most. Removed ones are evicted first (counted in <see cref="Evicted"/>).</summary>
    public const int MaxEntries = 65536;

    /// <summary>How long a removed cgroup stays known, for rows decoded after it is gone and for ebpf_containers.</summary>
    public static readonly TimeSpan RemovedRetention = TimeSpan.FromHours(1);

    /// <summary>Walks without the probe are at most this often.</summary>
    public static readonly TimeSpan RewalkInterval = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan MetadataRetry = TimeSpan.FromSeconds(1);
    private const int MetadataAttempts = 5;

    private readonly object _gate = new();
    private readonly Dictionary<ulong, Entry> _byId = new();
    private readonly Dictionary<string, ulong> _idByPath = new(StringComparer.Ordinal);
    private readonly ContainerStateFiles _stateFiles;
    private readonly TimeProvider _time;
    private readonly Func<IReadOnlyList<CgroupEntry>?> _walk;
    private long _nextWalk;
    private long _unknown;
    private long _evicted;
    private long _stateFileErrors;
    private string? _lastStateFileError;

    /// <summary>A map reading runtimes' state from <paramref name="stateFiles"/> and walking <paramref name="walk"/> (default: the host's cgroup2 mount).</summary>
    public ContainerMap(ContainerStateFiles? stateFiles = null, TimeProvider? time = null, Func<IReadOnlyList<CgroupEntry>?>? walk = null)
    {
        _stateFiles = stateFiles ?? new ContainerStateFiles();
        _time = time ?? TimeProvider.System;
        _walk = walk ?? WalkHostCgroupFs;
    }

    /// <summary>
    /// Drains the cgroup probe's ring into <see cref="Apply"/> on the calling thread; set while the probe runs.
    /// </summary>
    public Func<int>? CatchUp { get; set; }

    /// <summary>Lookups of a cgroup id neither the probe nor a walk knew (its row gets no container).</summary>
    public long Unknown => Interlocked.Read(ref _unknown);

    /// <summary>Cgroups forgotten because the map was full.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>Runtime state files that exist but were refused (hostile or malformed), and the last reason.</summary>
    public (long Count, string? Last) StateFileErrors => (Interlocked.Read(ref _stateFileErrors), Volatile.Read(ref _lastStateFileError));

    /// <summary>Cgroups known now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _byId.Count;
        }
    }

    /// <summary>Adds the cgroups of a walk of cgroupfs; an id a record has already described keeps what the record said.</summary>
    public void Seed(IEnumerable<CgroupEntry> entries)
    {
        foreach (var walked in entries)
        {
            lock (_gate)
            {
                if (_byId.ContainsKey(walked.Id))
                    continue;
            }
            Add(walked.Id, walked.Path, walked.OwnerUid);
        }
    }

    /// <summary>Walks the host's cgroup2 hierarchy now and adds what it finds (<see cref="Seed"/>).</summary>
    public void SeedFromCgroupFs()
    {
        Interlocked.Exchange(ref _nextWalk, _time.GetTimestamp() + Ticks(RewalkInterval));
        if (_walk() is { } entries)
            Seed(entries);
    }

    /// <summary>Applies one record of the cgroup probe.</summary>
    public void Apply(CgroupEvent record)
    {
        if (!record.IsCgroup2)
            return; // only v2 ids appear on rows
        switch (record.Kind)
        {
            case CgroupRecordKind.Mkdir:
                Add(record.CgroupId, record.Path, record.OwnerUid);
                break;
            case CgroupRecordKind.Rename:
                Remove(record.CgroupId);
                Add(record.CgroupId, record.Path, record.OwnerUid);
                break;
            case CgroupRecordKind.Rmdir:
                lock (_gate)
                {
                    if (_byId.TryGetValue(record.CgroupId, out var gone))
                    {
                        gone.RemovedAt = Now();
                        gone.LastSeen = gone.RemovedAt.Value;
                    }
                }
                break;
            case CgroupRecordKind.AttachTask:
                lock (_gate)
                {
                    if (_byId.TryGetValue(record.CgroupId, out var target))
                        target.LastSeen = Now();
                }
                break;
        }
    }

    /// <summary>The container columns for a row whose task was in cgroup <paramref name="cgroupId"/>.</summary>
    public ContainerAttribution Attribute(ulong cgroupId)
    {
        var entry = Find(cgroupId);
        if (entry is null)
        {
            // The row's cgroup was made after the last record applied: bring the cgroup ring up to date (it holds
            // the mkdir, written before the row), or, without the probe, walk again.
            if (CatchUp is { } catchUp)
                catchUp();
            else if (WalkDue())
                SeedFromCgroupFs();
            entry = Find(cgroupId);
            if (entry is null)
            {
                Interlocked.Increment(ref _unknown);
                return ContainerAttribution.None;
            }
        }
        if (entry.NeedsMetadata(_time.GetTimestamp()))
            ReadMetadata(entry);
        return entry.Attribution;
    }

    /// <summary>Every container cgroup known now (ebpf_containers).</summary>
    public IReadOnlyList<ContainerRecord> Containers()
    {
        lock (_gate)
        {
            return _byId.Values
                .Where(e => e.Classification.IsContainer && e.Attribution.ContainerId.Length > 0 && e.OwnAttribution)
                .OrderBy(e => e.FirstSeen)
                .Select(e => e.ToRecord())
                .ToList();
        }
    }

    private Entry? Find(ulong cgroupId)
    {
        lock (_gate)
            return _byId.GetValueOrDefault(cgroupId);
    }

    private void Add(ulong id, string path, uint ownerUid)
    {
        var classification = CgroupClassifier.Classify(path, ownerUid);
        var entry = new Entry(id, path, classification, Now());
        if (!classification.IsContainer)
        {
            // A cgroup inside a container's (a nested cgroup namespace, systemd in a container) is that container.
            lock (_gate)
            {
                if (_idByPath.TryGetValue(ParentOf(path), out var parentId) && _byId.TryGetValue(parentId, out var parent))
                    entry.Inherit(parent);
            }
        }
        else
        {
            ReadMetadata(entry);
        }
        lock (_gate)
        {
            if (_byId.Count >= MaxEntries && !_byId.ContainsKey(id))
                EvictOldestRemoved();
            _byId[id] = entry;
            _idByPath[path] = id;
        }
    }

    private void Remove(ulong id)
    {
        lock (_gate)
        {
            if (_byId.TryGetValue(id, out var old))
                Forget(old);
        }
    }

    // Under _gate: drops an entry and its path index (unless a newer cgroup of that path took the index over).
    private void Forget(Entry entry)
    {
        _byId.Remove(entry.Id);
        if (_idByPath.TryGetValue(entry.Path, out var byPath) && byPath == entry.Id)
            _idByPath.Remove(entry.Path);
    }

    // Under _gate. The oldest removed cgroups and every one removed longer than the retention go; when none is
    // removed, the least recently seen of all.
    private void EvictOldestRemoved()
    {
        long cutoff = Now() - (long)RemovedRetention.TotalSeconds;
        var victims = _byId.Values.Where(e => e.RemovedAt is not null).OrderBy(e => e.RemovedAt).Take(MaxEntries / 16)
            .Concat(_byId.Values.Where(e => e.RemovedAt < cutoff)).Distinct().ToList();
        if (victims.Count == 0)
            victims = _byId.Values.OrderBy(e => e.LastSeen).Take(MaxEntries / 16).ToList();
        foreach (var victim in victims)
            Forget(victim);
        Interlocked.Add(ref _evicted, victims.Count);
    }

    // Outside _gate: a state file read takes a file system round trip.
    private void ReadMetadata(Entry entry)
    {
        if (!entry.BeginMetadataAttempt(_time.GetTimestamp() + Ticks(MetadataRetry)))
            return;
        ContainerMetadata? metadata = null;
        try
        {
            metadata = _stateFiles.Read(entry.Classification);
        }
        catch (StateFileException e)
        {
            Interlocked.Increment(ref _stateFileErrors);
            Volatile.Write(ref _lastStateFileError, e.Message);
        }
        catch (IOException e)
        {
            Interlocked.Increment(ref _stateFileErrors);
            Volatile.Write(ref _lastStateFileError, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            Interlocked.Increment(ref _stateFileErrors);
            Volatile.Write(ref _lastStateFileError, e.Message);
        }
        lock (_gate)
            entry.SetMetadata(metadata);
    }

    private bool WalkDue()
    {
        long next = Interlocked.Read(ref _nextWalk);
        long now = _time.GetTimestamp();
        return now >= next && Interlocked.CompareExchange(ref _nextWalk, now + Ticks(RewalkInterval), next) == next;
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeSeconds();

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static string ParentOf(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    private static IReadOnlyList<CgroupEntry>? WalkHostCgroupFs()
    {
        try
        {
            var mount = CgroupFileSystem.FindCgroup2Mount();
            return mount is null ? null : CgroupFileSystem.Walk(mount, MaxEntries, out _);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // no cgroup2 here (an old or minimal system): rows get no container
        }
    }

    private sealed class Entry(ulong id, string path, CgroupClassification classification, long firstSeen)
    {
        private Entry? _parent;
        private ContainerMetadata? _metadata;
        private ContainerAttribution _own = Initial(classification);
        private int _attempts;
        private long _nextAttempt;

        public ulong Id { get; } = id;
        public string Path { get; } = path;
        public CgroupClassification Classification { get; } = classification;
        public long FirstSeen { get; } = firstSeen;
        public long LastSeen { get; set; } = firstSeen;
        public long? RemovedAt { get; set; }

        /// <summary>True when this cgroup is a container itself, not inside one.</summary>
        public bool OwnAttribution => _parent is null;

        /// <summary>Its own container, or the one it is nested in (which may learn its names later).</summary>
        public ContainerAttribution Attribution => _parent?.Attribution ?? _own;

        public void Inherit(Entry parent) => _parent = parent;

        public bool NeedsMetadata(long now) =>
            Classification.IsContainer && _metadata is null && _attempts < MetadataAttempts && now >= Volatile.Read(ref _nextAttempt);

        public bool BeginMetadataAttempt(long next)
        {
            if (Interlocked.Increment(ref _attempts) > MetadataAttempts)
                return false;
            Volatile.Write(ref _nextAttempt, next);
            return true;
        }

        public void SetMetadata(ContainerMetadata? metadata)
        {
            if (metadata is null || _metadata is not null)
                return;
            _metadata = metadata;
            _own = new ContainerAttribution(Classification.QualifiedId, metadata.Name ?? "", metadata.PodName ?? "", metadata.PodNamespace ?? "");
        }

        public ContainerRecord ToRecord() => new(
            Classification.QualifiedId,
            RuntimeName(_metadata?.Runtime, Classification.Runtime),
            _metadata?.Name ?? "",
            _metadata?.Image ?? "",
            _metadata?.ImageId ?? "",
            _metadata?.PodName ?? "",
            _metadata?.PodNamespace ?? "",
            _metadata?.PodUid ?? Classification.PodUid ?? "",
            Id,
            Path,
            Classification.RootlessOwnerUid,
            FirstSeen,
            LastSeen,
            RemovedAt is not null);

        // containerd's /NAMESPACE/ID is ambiguous by path: a container only once containerd's state confirms it.
        private static ContainerAttribution Initial(CgroupClassification c) =>
            c.IsContainer && !c.NeedsStateConfirmation ? new(c.QualifiedId, "", "", "") : ContainerAttribution.None;

        private static string RuntimeName(string? fromState, ContainerRuntime runtime) => fromState ?? runtime switch
        {
            ContainerRuntime.Docker => "docker",
            ContainerRuntime.Podman => "podman",
            ContainerRuntime.Containerd => "containerd",
            ContainerRuntime.CriO => "cri-o",
            ContainerRuntime.Kubernetes => "kubernetes",
            _ => "",
        };
    }
}
