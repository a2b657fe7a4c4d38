namespace OsqueryBpf.Host;

/// <summary>One row of ebpf_probes: the state of one probe (tables.md).</summary>
/// <param name="Name">The probe name.</param>
/// <param name="Table">The table its events go to.</param>
/// <param name="Hooks">Its attach points, comma-separated.</param>
/// <param name="Status">running, failed or disabled.</param>
/// <param name="Error">Why it failed (with the verifier's last lines), empty otherwise.</param>
/// <param name="Events">Records received.</param>
/// <param name="Drops">Records lost in the kernel ring or the pipeline.</param>
/// <param name="Rows">Rows buffered now.</param>
/// <param name="OldestTime">UNIX seconds of the oldest buffered row, null when empty.</param>
/// <param name="RingBytes">Size of the probe's ring buffer.</param>
/// <param name="LoadedAt">UNIX seconds when it was loaded, null when it never was.</param>
internal sealed record ProbeStatus(
    string Name, string Table, string Hooks, string Status, string Error,
    long Events, long Drops, long Rows, long? OldestTime, long RingBytes, long? LoadedAt);
