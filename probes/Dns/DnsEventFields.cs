namespace OsqueryBpf.Dns;

/// <summary>
/// The message-derived columns of an ebpf_dns_events row, computed from a parse result. The capture
/// pipeline adds the process, addresses, protocol and latency.
/// </summary>
public sealed class DnsEventFields
{
    private DnsEventFields() { }

    /// <summary><c>query</c> or <c>response</c> (the QR bit); <c>query</c> when even the header was missing.</summary>
    public string Kind { get; private init; } = "query";

    /// <summary>The transaction id; 0 without a header.</summary>
    public int Id { get; private init; }

    /// <summary>
    /// The first question's name in presentation form without the trailing dot (<c>example.com</c>, the root
    /// as <c>.</c>), as osquery's dns_lookup_events writes names; empty without a question.
    /// </summary>
    public string Name { get; private init; } = "";

    /// <summary>The first question's type mnemonic (A, AAAA, HTTPS, ... or TYPEnnn); empty without a question.</summary>
    public string Type { get; private init; } = "";

    /// <summary>The first question's type number; 0 without a question.</summary>
    public int TypeId { get; private init; }

    /// <summary>The response code, extended by EDNS (0 NOERROR, 3 NXDOMAIN, 16 BADVERS); 0 on queries.</summary>
    public int Status { get; private init; }

    /// <summary>The answers column (<see cref="DnsFormat.Answers"/>).</summary>
    public string Answers { get; private init; } = "";

    /// <summary>The response column (<see cref="DnsFormat.ResponseJson"/>): "[]" when there are no answers.</summary>
    public string ResponseJson { get; private init; } = "[]";

    /// <summary>The TC bit: the server cut the answer short and the client should retry over TCP.</summary>
    public bool Truncated { get; private init; }

    /// <summary>
    /// True when the message could not be read completely (<see cref="DnsParseResult.IsComplete"/> false):
    /// the row's probe_error.
    /// </summary>
    public bool ProbeError { get; private init; }

    /// <summary>Why the message was incomplete, as a sentence; null when it was complete.</summary>
    public string? ParseProblem { get; private init; }

    /// <summary>Computes the columns of one parsed message.</summary>
    public static DnsEventFields From(DnsParseResult result)
    {
        var message = result.Message;
        if (message is null)
            return new DnsEventFields { ProbeError = true, ParseProblem = result.Reason };

        var question = message.Questions.Count > 0 ? message.Questions[0] : (DnsQuestion?)null;
        return new DnsEventFields
        {
            Kind = message.IsResponse ? "response" : "query",
            Id = message.Id,
            Name = question is { } q ? DnsText.WithoutTrailingDot(q.Name) : "",
            Type = question is { } t ? t.TypeName : "",
            TypeId = question?.Type ?? 0,
            Status = message.IsResponse ? message.Rcode : 0,
            Answers = DnsFormat.Answers(message),
            ResponseJson = DnsFormat.ResponseJson(message),
            Truncated = message.Truncated,
            ProbeError = !result.IsComplete,
            ParseProblem = result.Reason,
        };
    }
}
