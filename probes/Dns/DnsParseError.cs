namespace OsqueryBpf.Dns;

/// <summary>
/// Why <see cref="DnsMessage.Parse"/> could not read a message completely. Parsing keeps going past problems
/// it can step over (bad record data, an oversized input) and stops at the others (a name whose end is unknown,
/// bytes that run out). One problem is reported: the one that stopped the parse, or else the first one met.
/// </summary>
public enum DnsParseError
{
    /// <summary>The whole message was read.</summary>
    None = 0,

    /// <summary>The input was empty.</summary>
    Empty,

    /// <summary>Fewer than the 12 bytes of a DNS header.</summary>
    HeaderTruncated,

    /// <summary>
    /// The bytes ran out inside a question or record (a short capture, a truncated TCP stream, or header
    /// counts larger than what follows). Everything before that point is in the result.
    /// </summary>
    Truncated,

    /// <summary>A name used a reserved label type (a length byte 0x40-0xBF: a label over 63 bytes).</summary>
    BadLabelType,

    /// <summary>A compression pointer pointed forwards, at itself, or into the name that contains it.</summary>
    BadPointer,

    /// <summary>A name followed more compression pointers than <see cref="DnsMessage.MaxPointerHops"/>.</summary>
    TooManyPointers,

    /// <summary>A name was longer than 255 bytes in wire form (RFC 1035 section 2.3.4).</summary>
    NameTooLong,

    /// <summary>
    /// A record's data did not have the layout its type requires (an A record that is not 4 bytes, a name
    /// that does not end where the data ends). The record is kept, with its data in RFC 3597 form.
    /// </summary>
    BadRecordData,

    /// <summary>The input was longer than 65,535 bytes, the most a DNS message can be; only that much was read.</summary>
    TooLarge,

    /// <summary>A bug in the parser, caught and reported instead of thrown. Tests assert it never happens.</summary>
    InternalError,
}
