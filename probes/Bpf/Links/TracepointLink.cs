using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Programs;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Links;

/// <summary>
/// A tracepoint program (SEC("tracepoint/category/name")) attached through a perf event:
/// perf_event_open(PERF_TYPE_TRACEPOINT, id), PERF_EVENT_IOC_SET_BPF, PERF_EVENT_IOC_ENABLE.
/// Closing the perf event detaches the program.
/// </summary>
/// <remarks>Requires Linux 4.7 and tracefs (mounted on demand).</remarks>
public sealed class TracepointLink : IBpfLink
{
    private readonly SafePerfEventHandle _perfEvent;

    private TracepointLink(SafePerfEventHandle perfEvent, string programName, string target)
    {
        _perfEvent = perfEvent;
        ProgramName = programName;
        Target = target;
    }

    /// <inheritdoc />
    public string ProgramName { get; }

    /// <inheritdoc />
    public string Target { get; }

    /// <summary>Attaches <paramref name="program"/> to tracepoint <paramref name="category"/>/<paramref name="name"/>.</summary>
    public static TracepointLink Attach(BpfProgram program, string category, string name)
    {
        var target = $"tracepoint/{category}/{name}";
        var attr = new PerfEventAttr
        {
            type = PerfEventAttr.PERF_TYPE_TRACEPOINT,
            config = Tracefs.TracepointId(category, name),
            sample_period = 1,
            wakeup_events = 1,
        };
        // pid -1, cpu 0: a tracepoint's BPF program runs on every CPU whatever the event's cpu is
        // (the program hangs off the tracepoint, not the event); libbpf opens it the same way.
        var perfEvent = Libc.PerfEventOpen(ref attr, pid: -1, cpu: 0, target);
        try
        {
            Libc.PerfEventSetBpf(perfEvent, program.Handle, $"program '{program.Name}' on {target}");
            Libc.Ioctl(perfEvent, Libc.PERF_EVENT_IOC_ENABLE, 0, $"{target} (PERF_EVENT_IOC_ENABLE)");
            return new TracepointLink(perfEvent, program.Name, target);
        }
        catch
        {
            perfEvent.Dispose();
            throw;
        }
    }

    /// <summary>Attaches to the "category/name" in a section name such as "tracepoint/syscalls/sys_enter_getpid".</summary>
    public static TracepointLink Attach(BpfProgram program, string categoryAndName)
    {
        var slash = categoryAndName.IndexOf('/');
        if (slash <= 0 || slash == categoryAndName.Length - 1)
            throw new ArgumentException($"The tracepoint '{categoryAndName}' of program '{program.Name}' is not in the form 'category/name'.", nameof(categoryAndName));
        return Attach(program, categoryAndName[..slash], categoryAndName[(slash + 1)..]);
    }

    /// <summary>Disables and closes the perf event, which detaches the program.</summary>
    public void Dispose() => _perfEvent.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"{ProgramName} -> {Target}";
}
