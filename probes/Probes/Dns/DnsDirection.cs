namespace OsqueryBpf.Probes;

/// <summary>Where a DNS packet was seen (enum dns_direction in dns.bpf.c).</summary>
public enum DnsDirection : byte
{
    /// <summary>Leaving the host on a real interface.</summary>
    Egress = 1,

    /// <summary>Arriving at the host on a real interface.</summary>
    Ingress = 2,

    /// <summary>On the loopback device: both ends are on this host (seen once, not twice).</summary>
    Loopback = 3,
}
