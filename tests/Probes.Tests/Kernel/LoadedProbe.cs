using OsqueryBpf.Events;
using OsqueryBpf.Probes.Runtime;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Kernel;

/// <summary>
/// One probe loaded into the real kernel the way the product loads it (<see cref="ProbeInstance"/>), with a reader
/// thread that decodes every record and keeps the events a test may ask for (those its keep function accepts).
/// With an <see cref="OlderKernel"/>, the probe takes the code paths it takes on that kernel.
/// </summary>
internal sealed class LoadedProbe : IDisposable
{
    private readonly ProbeInstance _instance;
    private readonly ProbeEventReader _reader;
    private readonly List<Event> _events = new();

    /// <summary>
    /// Loads <paramref name="probe"/> with <paramref name="settings"/> (its defaults when null); the extension's own
    /// activity is recorded unless <paramref name="ignoredProcessId"/> names a process.
    /// </summary>
    public LoadedProbe(ProbeDefinition probe, ProbeSettings? settings, Func<Event, bool> keep, OlderKernel? asKernel = null,
        int ignoredProcessId = 0, OsqueryBpf.Probes.Decoding.ProcessImages? images = null)
    {
        settings ??= probe.DefaultSettings();
        var context = new ProbeContext { IgnoredProcessId = ignoredProcessId, Images = images ?? new() };
        _instance = asKernel is null ? ProbeInstance.Load(probe, settings, context) : asKernel.Load(probe, settings, context);
        try
        {
            Assert.True(_instance.Complete, "Hooks not running: " + string.Join(" | ", _instance.Missing.Select(h => h.Describe())));
            _reader = new ProbeEventReader(_instance, settings, context, evt =>
            {
                if (!keep(evt))
                    return;
                lock (_events)
                {
                    _events.Add(evt);
                    Monitor.PulseAll(_events);
                }
            });
        }
        catch
        {
            _instance.Dispose();
            throw;
        }
    }

    /// <summary>Records the kernel could not put into the ring.</summary>
    public ulong Lost => _reader.Lost;

    /// <summary>Records the decoder refused (with the last reason).</summary>
    public (long Count, string? LastError) Malformed => (_reader.Malformed, _reader.LastError);

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

    /// <summary>The loaded probe: its plan and what became of each hook.</summary>
    public ProbeInstance Instance => _instance;

    public void Dispose()
    {
        _reader.Dispose();
        _instance.Dispose();
    }
}
