namespace OsqueryBpf.Tables;

/// <summary>
/// The health of one probe: a row of <c>ebpf_probes</c>. The host supplies these through
/// <see cref="EventStore.ReplaceProbeStatus"/>; the store adds the <c>rows</c> and <c>oldest_time</c> columns from
/// its own counters for <see cref="Table"/>.
/// </summary>
public sealed class ProbeStatus
{
    /// <summary>The probe's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The table its events go to (for example <c>ebpf_file_events</c>); empty when it feeds none.</summary>
    public string Table { get; set; } = "";

    /// <summary>Its attach points, comma separated.</summary>
    public string Hooks { get; set; } = "";

    /// <summary>running, degraded (some hooks missing: see <see cref="MissingHooks"/>), failed or disabled.</summary>
    public string Status { get; set; } = "";

    /// <summary>Why it failed (with the verifier's last lines when the verifier refused it); empty otherwise.</summary>
    public string Error { get; set; } = "";

    /// <summary>
    /// The hooks that are not running, separated by " | ": each with the first kernel that has it and why it is
    /// missing here. Empty when every hook runs.
    /// </summary>
    public string MissingHooks { get; set; } = "";

    /// <summary>Records received from the kernel.</summary>
    public long Events { get; set; }

    /// <summary>Records lost in the kernel ring or in the pipeline.</summary>
    public long Drops { get; set; }

    /// <summary>Size of its ring buffer in bytes.</summary>
    public long RingBytes { get; set; }

    /// <summary>UNIX seconds when it was loaded; null if it never was (the column is then empty, which osqueryd reads
    /// as NULL).</summary>
    public long? LoadedAt { get; set; }
}
