using OsqueryBpf.Bpf.Collections;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.RingBuffers;
using OsqueryBpf.Events;
using OsqueryBpf.Probes.Decoding;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>
/// One probe loaded into the real kernel through the managed loader, with a reader thread that decodes
/// every record and keeps the events a test may ask for (those <see cref="Keep"/> accepts).
/// </summary>
internal sealed class LoadedProbe : IDisposable
{
    private readonly BpfCollection _collection;
    private readonly RingBufferReader _reader;
    private readonly List<Event> _events = new();
    private readonly Func<Event, bool> _keep;
    private long _malformed;
    private string? _lastError;

    public LoadedProbe(ProbeDefinition probe, ProbeSettings settings, Func<Event, bool> keep)
    {
        _keep = keep;
        var spec = CollectionSpec.Parse(probe.ReadObject());
        foreach (var (name, value) in probe.BuildConstants(settings))
            spec.SetConstant(name, value);
        _collection = BpfCollection.Load(spec);
        try
        {
            var failed = _collection.Programs.Values
                .Where(p => p.Error is not null && !probe.Hooks.Single(h => h.ProgramName == p.Name).Optional)
                .ToList();
            Assert.True(failed.Count == 0, "Programs failed: " + string.Join(" | ", failed.Select(f => f.ToString())));
            _reader = new RingBufferReader(_collection.Map(probe.RingMap), _collection.Map(probe.LostMap));
            var decoder = probe.CreateDecoder(settings, new BootClock());
            _reader.Start(record =>
            {
                if (!decoder.TryDecode(record, out var evt, out var error))
                {
                    Interlocked.Increment(ref _malformed);
                    _lastError = error;
                    return;
                }
                if (!_keep(evt))
                    return;
                lock (_events)
                {
                    _events.Add(evt);
                    Monitor.PulseAll(_events);
                }
            }, "probe test reader");
        }
        catch
        {
            _collection.Dispose();
            throw;
        }
    }

    /// <summary>Records the kernel could not put into the ring.</summary>
    public ulong Lost => _reader.Lost;

    /// <summary>Records the decoder refused (with the last reason).</summary>
    public (long Count, string? LastError) Malformed => (Interlocked.Read(ref _malformed), _lastError);

    /// <summary>Waits (up to 30 s) for an event of type T matching <paramref name="match"/>.</summary>
    public T WaitFor<T>(Func<T, bool> match, string what) where T : Event
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        lock (_events)
        {
            while (true)
            {
                var found = _events.OfType<T>().FirstOrDefault(match);
                if (found is not null)
                    return found;
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    Assert.Fail($"No event for {what} within 30 s. Kept {_events.Count} events; lost {Lost}; " +
                        $"malformed {Malformed.Count} ({Malformed.LastError}). Last kept: " +
                        string.Join(" | ", _events.TakeLast(10).Select(Describe)));
                }
                Monitor.Wait(_events, left);
            }
        }
    }

    /// <summary>The events of type T kept so far that match.</summary>
    public List<T> Seen<T>(Func<T, bool> match) where T : Event
    {
        lock (_events)
            return _events.OfType<T>().Where(match).ToList();
    }

    public static string Describe(Event e) => e switch
    {
        FileEvent f => $"{f.Action} {f.Syscall} '{f.Path}' -> '{f.DestPath}' ret={f.ExitCode} pid={f.Pid}",
        ProcessEvent p => $"{p.Syscall} '{p.Path}' [{string.Join(",", p.Argv)}] ret={p.ExitCode} pid={p.Pid}",
        _ => e.ToString() ?? "",
    };

    public void Dispose()
    {
        _reader.Dispose();
        _collection.Dispose();
    }
}
