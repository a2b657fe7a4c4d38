namespace OsqueryBpf.Dns;

/// <summary>
/// A DNS message (RFC 1035 section 4) as read by <see cref="Parse"/>: the header's fields, the four sections'
/// entries in wire order, and the EDNS(0) OPT record's fields when there is one. Names and record data are in
/// presentation form (README.md). Instances are immutable once returned.
/// </summary>
public sealed class DnsMessage
{
    /// <summary>The most compression pointers one name may follow before the parser gives up.</summary>
    public const int MaxPointerHops = 63;

    /// <summary>The longest a DNS message can be (the TCP length prefix is 16 bits).</summary>
    public const int MaxLength = 65535;

    /// <summary>The size of the fixed header.</summary>
    public const int HeaderLength = 12;

    internal DnsMessage(ushort id, ushort flags, ushort questionCount, ushort answerCount, ushort authorityCount,
        ushort additionalCount, int length)
    {
        Id = id;
        Flags = flags;
        QuestionCount = questionCount;
        AnswerCount = answerCount;
        AuthorityCount = authorityCount;
        AdditionalCount = additionalCount;
        Length = length;
    }

    /// <summary>The transaction id.</summary>
    public ushort Id { get; }

    /// <summary>The header's second 16-bit word: QR, opcode, AA, TC, RD, RA, Z, AD, CD and the low rcode bits.</summary>
    public ushort Flags { get; }

    /// <summary>QR: true for a response, false for a query.</summary>
    public bool IsResponse => (Flags & 0x8000) != 0;

    /// <summary>The opcode (0 QUERY, 4 NOTIFY, 5 UPDATE, ...).</summary>
    public int Opcode => (Flags >> 11) & 0xF;

    /// <summary>AA: the answer is authoritative.</summary>
    public bool AuthoritativeAnswer => (Flags & 0x0400) != 0;

    /// <summary>TC: the server truncated the message (the client should retry over TCP).</summary>
    public bool Truncated => (Flags & 0x0200) != 0;

    /// <summary>RD: recursion desired.</summary>
    public bool RecursionDesired => (Flags & 0x0100) != 0;

    /// <summary>RA: recursion available.</summary>
    public bool RecursionAvailable => (Flags & 0x0080) != 0;

    /// <summary>Z: the reserved bit, which should be 0.</summary>
    public bool Zero => (Flags & 0x0040) != 0;

    /// <summary>AD: authentic data (DNSSEC, RFC 4035).</summary>
    public bool AuthenticData => (Flags & 0x0020) != 0;

    /// <summary>CD: checking disabled (DNSSEC, RFC 4035).</summary>
    public bool CheckingDisabled => (Flags & 0x0010) != 0;

    /// <summary>The 4-bit response code in the header.</summary>
    public int HeaderRcode => Flags & 0xF;

    /// <summary>
    /// The full response code: the header's 4 bits, extended to 12 with the OPT record's upper bits when
    /// there is one (so BADVERS is 16).
    /// </summary>
    public int Rcode => Edns is { } edns ? (edns.ExtendedRcodeHigh << 4) | HeaderRcode : HeaderRcode;

    /// <summary>QDCOUNT as the header states it (may exceed <see cref="Questions"/> when the message is cut).</summary>
    public ushort QuestionCount { get; }

    /// <summary>ANCOUNT as the header states it.</summary>
    public ushort AnswerCount { get; }

    /// <summary>NSCOUNT as the header states it.</summary>
    public ushort AuthorityCount { get; }

    /// <summary>ARCOUNT as the header states it.</summary>
    public ushort AdditionalCount { get; }

    /// <summary>How many bytes the message had (at most <see cref="MaxLength"/> were read).</summary>
    public int Length { get; }

    /// <summary>The question section, as far as it was read.</summary>
    public IReadOnlyList<DnsQuestion> Questions { get; internal set; } = [];

    /// <summary>The answer section, as far as it was read.</summary>
    public IReadOnlyList<DnsRecord> Answers { get; internal set; } = [];

    /// <summary>The authority section, as far as it was read.</summary>
    public IReadOnlyList<DnsRecord> Authorities { get; internal set; } = [];

    /// <summary>The additional section (OPT included), as far as it was read.</summary>
    public IReadOnlyList<DnsRecord> Additionals { get; internal set; } = [];

    /// <summary>The first OPT record of the additional section, or null when the message has none.</summary>
    public DnsEdns? Edns { get; internal set; }

    /// <summary>
    /// Reads a DNS message from its wire form. Never throws, never allocates in proportion to a count read from
    /// the packet, and always ends: compression pointers must point strictly backwards, out of the name segment
    /// that holds them, at most <see cref="MaxPointerHops"/> times per name, and names stop at 255 bytes.
    /// A short or damaged message gives what could be read plus the first problem (<see cref="DnsParseResult"/>).
    /// </summary>
    /// <param name="message">One message: a UDP payload, or one TCP message without its 2-byte length
    /// (<see cref="DnsTcpFraming"/> splits those).</param>
    public static DnsParseResult Parse(ReadOnlySpan<byte> message)
    {
        try
        {
            return MessageParser.Parse(message);
        }
        catch (Exception e)
        {
            // The parser checks every bound itself; this is the promise that a bug there still yields a counted
            // parse error instead of taking the capture pipeline down.
            return new DnsParseResult(null, DnsParseError.InternalError, 0,
                $"The parser failed unexpectedly ({e.GetType().Name}: {e.Message}).", 0);
        }
    }
}
