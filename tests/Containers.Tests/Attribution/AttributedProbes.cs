using OsqueryBpf.Containers.Attribution;
using OsqueryBpf.Events;
using OsqueryBpf.Probes;
using OsqueryBpf.Probes.Runtime;
using Xunit;

namespace OsqueryBpf.Containers.Tests.Attribution;

/// <summary>
/// The product's cgroup and process probes loaded into the real kernel the way ProbeRunner loads them: one shared
/// context, so exec rows get their container columns from the map the cgroup probe feeds. Keeps the exec rows.
/// </summary>
internal sealed class AttributedProbes : IDisposable
{
    private readonly List<(ProbeInstance Instance, ProbeEventReader Reader)> _loaded = new();
    private readonly List<ProcessEvent> _execs = new();

    public AttributedProbes(ContainerStateFiles stateFiles)
    {
        Map = new ContainerMap(stateFiles);
        var context = new ProbeContext { Containers = Map, IgnoredProcessId = Environment.ProcessId };
        try
        {
            foreach (var probe in new[] { CgroupProbe.Definition, ProcessProbe.Definition })
            {
                var settings = probe.DefaultSettings();
                var instance = ProbeInstance.Load(probe, settings, context);
                _loaded.Add((instance, null!));
                Assert.True(instance.Complete, $"{probe.Name}: hooks not running: " + string.Join(" | ", instance.Missing.Select(h => h.Describe())));
                var reader = new ProbeEventReader(instance, settings, context, Keep);
                _loaded[^1] = (instance, reader);
                probe.Started?.Invoke(reader, context);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ContainerMap Map { get; }

    /// <summary>Waits up to 30 s for exec rows matching <paramref name="match"/>, at least <paramref name="count"/>.</summary>
    public List<ProcessEvent> WaitForExecs(Func<ProcessEvent, bool> match, int count = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        lock (_execs)
        {
            while (true)
            {
                var found = _execs.Where(match).ToList();
                var left = deadline - DateTime.UtcNow;
                if (found.Count >= count || left <= TimeSpan.Zero)
                    return found;
                Monitor.Wait(_execs, left);
            }
        }
    }

    public void Dispose()
    {
        Map.CatchUp = null;
        foreach (var (instance, reader) in _loaded)
        {
            reader?.Dispose();
            instance.Dispose();
        }
    }

    private void Keep(Event evt)
    {
        if (evt is not ProcessEvent { Syscall: "execve" or "execveat" } exec)
            return;
        lock (_execs)
        {
            _execs.Add(exec);
            Monitor.PulseAll(_execs);
        }
    }
}
