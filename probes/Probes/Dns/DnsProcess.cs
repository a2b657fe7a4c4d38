namespace OsqueryBpf.Probes;

/// <summary>The process at one end of a DNS packet. <see cref="Pid"/> is 0 when it is not known.</summary>
/// <param name="Pid">Process id (tgid).</param>
/// <param name="Tid">Thread id.</param>
/// <param name="Parent">Parent process id (0 for the server end, which the record does not carry).</param>
/// <param name="Uid">Real uid (0 for the server end).</param>
/// <param name="Gid">Real gid (0 for the server end).</param>
/// <param name="CgroupId">cgroup v2 id (0 for the server end).</param>
/// <param name="Comm">Command name.</param>
/// <param name="Source">How it was found.</param>
public sealed record DnsProcess(long Pid, long Tid, long Parent, long Uid, long Gid, long CgroupId, string Comm,
    DnsAttribution Source)
{
    /// <summary>An end whose process is not known.</summary>
    public static DnsProcess Unknown { get; } = new(0, 0, 0, 0, 0, 0, "", DnsAttribution.None);

    /// <summary>True when the process is known.</summary>
    public bool IsKnown => Source != DnsAttribution.None && Pid != 0;
}
