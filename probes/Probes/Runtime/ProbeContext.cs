using OsqueryBpf.Containers.Attribution;
using OsqueryBpf.Probes.Decoding;

namespace OsqueryBpf.Probes.Runtime;

/// <summary>What every probe gets from the runtime, whatever its settings: the same for all probes of a process.</summary>
public sealed class ProbeContext
{
    /// <summary>
    /// Bytes waiting in a ring before a record wakes the reader (.rodata ring_wakeup_bytes, common.h). A wake-up per
    /// record costs the traced syscall several microseconds in a storm; the reader drains on a timer as well
    /// (<see cref="ProbeRunner"/>), so no record waits for the next burst. 0 keeps the kernel's behaviour (tests).
    /// </summary>
    public int RingWakeupBytes { get; init; }

    /// <summary>The extension's own process id, whose activity the probes ignore (0: nobody). Default: this process.</summary>
    public int IgnoredProcessId { get; init; } = Environment.ProcessId;

    /// <summary>Turns the kernel's boot-time clock into UNIX time for the decoders.</summary>
    public BootClock Clock { get; init; } = new();

    /// <summary>
    /// Which container each cgroup id is, shared by every decoder: fed by the cgroup probe when it runs, else by walks of
    /// cgroupfs (<see cref="ContainerMap"/>).
    /// </summary>
    public ContainerMap Containers { get; init; } = new();

    /// <summary>
    /// What each process runs, as the process probe's decoder learns it from exec records: exit rows and the DNS
    /// decoder read it (one per process, so the probes of one runner share it).
    /// </summary>
    public ProcessImages Images { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> for a value out of range.</summary>
    public void Validate()
    {
        if (RingWakeupBytes < 0)
            throw new ArgumentException($"RingWakeupBytes is {RingWakeupBytes}; it must be 0 or more.");
        if (IgnoredProcessId < 0)
            throw new ArgumentException($"IgnoredProcessId is {IgnoredProcessId}; it must be 0 or a process id.");
    }
}
