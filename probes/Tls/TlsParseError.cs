namespace OsqueryBpf.Tls;

/// <summary>
/// Why <see cref="TlsHello.Parse"/> could not read a hello completely. Parsing keeps going past problems it
/// can step over (an extension whose content does not fit its type, a repeated extension: the extension's own
/// length says where the next one starts) and stops at the others. One problem is reported: the one that
/// stopped the parse, or else the first one met.
/// </summary>
public enum TlsParseError
{
    /// <summary>The whole hello was read.</summary>
    None = 0,

    /// <summary>The input was empty.</summary>
    Empty,

    /// <summary>
    /// A record that is not a handshake record (content type 22): the stream is not TLS (HTTP, SSH, ...), or
    /// an alert, change_cipher_spec or application_data record came before the hello was complete.
    /// </summary>
    NotHandshakeRecord,

    /// <summary>An SSL 2.0 (or SSL 2.0-compatible) CLIENT-HELLO, which has no TLS record layer; not parsed.</summary>
    Sslv2Hello,

    /// <summary>A record's legacy version is not 3.0-3.4 (0x0300-0x0304).</summary>
    BadRecordVersion,

    /// <summary>A handshake record of length 0, which every TLS version forbids.</summary>
    EmptyRecord,

    /// <summary>A record longer than 2^14 bytes, the most a plaintext record may hold.</summary>
    RecordTooLong,

    /// <summary>
    /// The bytes ran out inside a record header or inside the hello, although every length seen so far fits:
    /// a short capture or a TCP stream that ended or was given up on. What came before is in the result.
    /// </summary>
    Truncated,

    /// <summary>The first handshake message is neither a ClientHello (1) nor a ServerHello (2).</summary>
    NotHello,

    /// <summary>The hello announces more than <see cref="TlsHello.MaxHandshakeLength"/> bytes; only what was there was read.</summary>
    HelloTooLong,

    /// <summary>
    /// A length points past the end of what encloses it: the session id, cipher suites, compression methods or
    /// extensions past the end of the hello, one extension past the extensions block, a list past its extension.
    /// </summary>
    LengthPastEnd,

    /// <summary>
    /// A length the format forbids although it fits: a session id over 32 bytes, an odd or empty cipher suite
    /// list, no compression method, bytes left between the extensions and the end of the hello.
    /// </summary>
    BadLength,

    /// <summary>
    /// An extension whose content does not have its type's layout (an SNI list whose length disagrees with the
    /// extension's, an empty ALPN protocol name, an odd signature algorithm list). The extension is skipped and
    /// the parse goes on.
    /// </summary>
    BadExtension,

    /// <summary>The same extension type appears twice (RFC 8446 section 4.2 forbids it). The parse goes on.</summary>
    DuplicateExtension,

    /// <summary>A bug in the parser, caught and reported instead of thrown. Tests assert it never happens.</summary>
    InternalError,
}
