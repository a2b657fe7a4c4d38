namespace OsqueryBpf.Dns;

/// <summary>The transport a DNS message travelled on; the values are the IP protocol numbers.</summary>
public enum DnsTransport : byte
{
    /// <summary>TCP (IP protocol 6).</summary>
    Tcp = 6,

    /// <summary>UDP (IP protocol 17).</summary>
    Udp = 17,
}
