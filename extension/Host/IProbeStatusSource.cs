namespace OsqueryBpf.Host;

/// <summary>Supplies the rows of ebpf_probes. The probe runtime will implement it; for now it is empty.</summary>
internal interface IProbeStatusSource
{
    /// <summary>A snapshot of every probe's state.</summary>
    IReadOnlyList<ProbeStatus> Snapshot();
}

/// <summary>No probes loaded (the state before the probe runtime is wired in).</summary>
internal sealed class EmptyProbeStatusSource : IProbeStatusSource
{
    public IReadOnlyList<ProbeStatus> Snapshot() => [];
}
