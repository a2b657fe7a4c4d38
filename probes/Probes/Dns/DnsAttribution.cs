namespace OsqueryBpf.Probes;

/// <summary>How the process at one end of a DNS packet was found (enum dns_source in dns.bpf.c).</summary>
public enum DnsAttribution : byte
{
    /// <summary>Not known: a remote end, or a local socket the probe never saw send, connect or bind.</summary>
    None = 0,

    /// <summary>From the probe's port map (a connect, bind or accept of that socket, or an earlier packet it sent).</summary>
    PortMap = 1,

    /// <summary>The task that was sending this very packet.</summary>
    SendingTask = 2,
}
