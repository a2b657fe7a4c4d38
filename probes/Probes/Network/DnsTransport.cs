namespace OsqueryBpf.Probes.Network;

/// <summary>The transport a DNS message travelled on.</summary>
public enum DnsTransport : byte
{
    /// <summary>TCP (IPPROTO_TCP): a 2-byte length prefix per message; see <see cref="TcpDnsReassembler"/>.</summary>
    Tcp = 6,

    /// <summary>UDP (IPPROTO_UDP): one message per datagram.</summary>
    Udp = 17,
}
