using OsqueryBpf.Bpf.Collections;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.RingBuffers;
using OsqueryBpf.Containers.Cgroups;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Containers.Tests.Kernel;

/// <summary>
/// probes/bpf/cgroup.bpf.c loaded into the real kernel through the project's loader, with a reader thread that
/// decodes every record and keeps them for the tests to ask about.
/// </summary>
public sealed class CgroupProbe : IDisposable
{
    private readonly BpfCollection? _collection;
    private readonly RingBufferReader? _reader;
    private readonly List<CgroupEvent> _events = new();
    private long _malformed;
    private string? _lastError;

    public CgroupProbe()
        : this(defaultHierarchyOnly: true)
    {
    }

    internal CgroupProbe(bool defaultHierarchyOnly)
    {
        if (!Requirements.IsRoot || !File.Exists("/sys/kernel/btf/vmlinux"))
        {
            SkipReason = "root and kernel BTF, to load BPF programs";
            return;
        }
        var spec = CollectionSpec.Parse(OsqueryBpf.Probes.CgroupProbe.Definition.ReadObject());
        spec.SetConstant("default_hierarchy_only", defaultHierarchyOnly ? (byte)1 : (byte)0);
        _collection = BpfCollection.Load(spec);
        try
        {
            _collection.ThrowIfAnyFailed();
            _reader = _collection.OpenRingBuffer(OsqueryBpf.Probes.CgroupProbe.Definition.RingMap, OsqueryBpf.Probes.CgroupProbe.Definition.LostMap);
            _reader.Start(record =>
            {
                if (!CgroupRecordDecoder.TryDecode(record, out var evt, out var error))
                {
                    Interlocked.Increment(ref _malformed);
                    _lastError = error;
                    return;
                }
                lock (_events)
                {
                    _events.Add(evt!);
                    Monitor.PulseAll(_events);
                }
            }, "cgroup probe test reader");
        }
        catch
        {
            _collection.Dispose();
            throw;
        }
    }

    public string? SkipReason { get; }

    public void Require() => Requirements.Require(SkipReason is null, SkipReason ?? "");

    /// <summary>The programs as the loader reports them (name -> status).</summary>
    public IReadOnlyDictionary<string, ProgramLoadResult> Programs => _collection!.Programs;

    public ulong Lost => _reader?.Lost ?? 0;

    public (long Count, string? LastError) Malformed => (Interlocked.Read(ref _malformed), _lastError);

    /// <summary>Waits up to 30 s for an event matching <paramref name="match"/>.</summary>
    public CgroupEvent WaitFor(Func<CgroupEvent, bool> match, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        lock (_events)
        {
            while (true)
            {
                var found = _events.FirstOrDefault(match);
                if (found is not null)
                    return found;
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    Assert.Fail($"No cgroup event for {what} within 30 s. Kept {_events.Count}; lost {Lost}; malformed {Malformed.Count} ({Malformed.LastError}). Last: " +
                        string.Join(" | ", _events.TakeLast(8).Select(e => $"{e.Kind} {e.CgroupId} {e.Path} owner={e.OwnerUid}")));
                }
                Monitor.Wait(_events, left);
            }
        }
    }

    /// <summary>The events so far that match, in arrival order.</summary>
    public List<CgroupEvent> Seen(Func<CgroupEvent, bool> match)
    {
        lock (_events)
            return _events.Where(match).ToList();
    }

    public void Dispose()
    {
        _reader?.Dispose();
        _collection?.Dispose();
    }
}
