using OsqueryBpf.Events;

namespace OsqueryBpf.Probes;

/// <summary>One DNS message, query or response: a row of <c>ebpf_dns_events</c>.</summary>
public sealed class DnsEvent : Event
{
    /// <summary>query or response.</summary>
    public string Kind { get; set; } = "";

    /// <summary>DNS transaction id.</summary>
    public int Id { get; set; }

    /// <summary>The question name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The question type as text (A, AAAA, ..., or TYPEnnn).</summary>
    public string Type { get; set; } = "";

    /// <summary>The question type's number.</summary>
    public int TypeId { get; set; }

    /// <summary>Response code (0 NOERROR, 3 NXDOMAIN, ...); 0 on queries.</summary>
    public int Status { get; set; }

    /// <summary>Answer records in the documented human-readable form.</summary>
    public string Answers { get; set; } = "";

    /// <summary>Answer records as a JSON array.</summary>
    public string ResponseJson { get; set; } = "";

    /// <summary>Nanoseconds from the query to this response; 0 on queries or when unmatched.</summary>
    public long Latency { get; set; }

    /// <summary>udp or tcp.</summary>
    public string Protocol { get; set; } = "";

    /// <summary>The server's address.</summary>
    public string ServerAddress { get; set; } = "";

    /// <summary>The server's port.</summary>
    public int ServerPort { get; set; }

    /// <summary>The client's address.</summary>
    public string ClientAddress { get; set; } = "";

    /// <summary>The client's port.</summary>
    public int ClientPort { get; set; }

    /// <summary>True when the TC (truncated) bit was set.</summary>
    public bool Truncated { get; set; }

    /// <summary>The process's binary.</summary>
    public string Path { get; set; } = "";
}
