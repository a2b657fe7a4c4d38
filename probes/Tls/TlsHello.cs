using System.Buffers;
using System.Buffers.Binary;

namespace OsqueryBpf.Tls;

/// <summary>Parses the first handshake message of a TLS stream: a ClientHello or a ServerHello.</summary>
public static class TlsHello
{
    /// <summary>
    /// The longest hello body read (64 KiB). A ClientHello's fields bound it to about 2^17 bytes; real ones are
    /// 200 bytes to a few KiB (post-quantum key shares and session tickets are the big parts).
    /// </summary>
    public const int MaxHandshakeLength = 65536;

    /// <summary>
    /// Parses the hello at the start of <paramref name="stream"/>: TLS records from the connection's first payload
    /// byte in one direction, as many as hold the hello (it may be split over several records; bytes after it are
    /// ignored). Never throws. <see cref="TlsHelloResult.ErrorOffset"/> is an offset in <paramref name="stream"/>.
    /// </summary>
    public static TlsHelloResult Parse(ReadOnlySpan<byte> stream)
    {
        try
        {
            return ParseRecords(stream);
        }
        catch (Exception e)
        {
            return new TlsHelloResult(TlsHelloKind.None, null, null, 0, 0, -1, TlsParseError.InternalError, 0,
                $"The parser failed on this input ({e.GetType().Name}: {e.Message}); this is a bug.");
        }
    }

    /// <summary>
    /// Parses one handshake message without a record layer (4-byte header, then the body), as QUIC carries it in
    /// CRYPTO frames. Never throws. <see cref="TlsHelloResult.ErrorOffset"/> is an offset in <paramref name="message"/>.
    /// </summary>
    public static TlsHelloResult ParseHandshake(ReadOnlySpan<byte> message)
    {
        try
        {
            if (message.IsEmpty)
                return Failed(TlsParseError.Empty, 0, 0, 0, "There were no bytes.");
            if (message[0] is not (1 or 2))
                return Failed(TlsParseError.NotHello, 0, 0, 0, $"The handshake message has type {message[0]}, not ClientHello (1) or ServerHello (2).");
            int bodyLength = message.Length >= 4 ? (message[1] << 16) | (message[2] << 8) | message[3] : -1;
            if (bodyLength > MaxHandshakeLength)
                return Failed(TlsParseError.HelloTooLong, 1, 0, 0, TooLongReason(bodyLength));
            var parsed = HelloParser.Parse(message, bodyLength);
            return new TlsHelloResult(parsed.Kind, parsed.Client, parsed.Server, 0, 0, bodyLength, parsed.Error, parsed.ErrorOffset, parsed.Reason);
        }
        catch (Exception e)
        {
            return new TlsHelloResult(TlsHelloKind.None, null, null, 0, 0, -1, TlsParseError.InternalError, 0,
                $"The parser failed on this input ({e.GetType().Name}: {e.Message}); this is a bug.");
        }
    }

    private static TlsHelloResult ParseRecords(ReadOnlySpan<byte> stream)
    {
        if (stream.IsEmpty)
            return Failed(TlsParseError.Empty, 0, 0, 0, "There were no bytes.");
        var framing = TlsRecordLayer.Measure(stream);
        ushort recordVersion = stream.Length >= 3 && stream[0] == TlsRecordLayer.Handshake ? BinaryPrimitives.ReadUInt16BigEndian(stream[1..]) : (ushort)0;

        TlsParseError framingError = framing.Error;
        string? framingReason = framing.Error == TlsParseError.None ? null : FramingReason(stream, framing);
        int framingOffset = framing.ErrorOffset;
        if (framing.Status == TlsFramingStatus.NeedMore && framing.HandshakeLength < 0)
        {
            framingError = TlsParseError.Truncated;
            framingOffset = stream.Length;
            framingReason = framing.Records == 0
                ? $"The bytes end at offset {stream.Length}, inside the first record header."
                : $"The bytes end at offset {stream.Length}, inside the hello's handshake header.";
        }
        if (framing.Gathered == 0)
            return Failed(framingError, framingOffset, recordVersion, framing.Records, framingReason!);

        // The hello's bytes: in place when the first record holds them all (the usual case), else gathered from
        // the records into a pooled buffer. Offsets in the message map back to the stream accordingly.
        int inFirstRecord = stream.Length >= TlsRecordLayer.HeaderLength
            ? Math.Min(BinaryPrimitives.ReadUInt16BigEndian(stream[3..]), stream.Length - TlsRecordLayer.HeaderLength)
            : 0;
        HelloParser.Outcome parsed;
        int offset;
        if (framing.Gathered <= inFirstRecord)
        {
            parsed = HelloParser.Parse(stream.Slice(TlsRecordLayer.HeaderLength, framing.Gathered), framing.HandshakeLength);
            offset = parsed.ErrorOffset < 0 ? -1 : TlsRecordLayer.HeaderLength + parsed.ErrorOffset;
        }
        else
        {
            var rented = ArrayPool<byte>.Shared.Rent(framing.Gathered);
            try
            {
                var gathered = rented.AsSpan(0, framing.Gathered);
                TlsRecordLayer.Gather(stream, MaxHandshakeLength, gathered);
                parsed = HelloParser.Parse(gathered, framing.HandshakeLength);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
            offset = parsed.ErrorOffset < 0 ? -1 : TlsRecordLayer.StreamOffset(stream, parsed.ErrorOffset) is var at and >= 0 ? at : stream.Length;
        }
        // The framing's own problem, if any, outranks what the message parser found in the bytes before it.
        return framingError != TlsParseError.None
            ? new TlsHelloResult(parsed.Kind, parsed.Client, parsed.Server, recordVersion, framing.Records, framing.HandshakeLength, framingError, framingOffset, framingReason)
            : new TlsHelloResult(parsed.Kind, parsed.Client, parsed.Server, recordVersion, framing.Records, framing.HandshakeLength, parsed.Error, offset, parsed.Reason);
    }

    private static TlsHelloResult Failed(TlsParseError error, int offset, ushort recordVersion, int records, string reason) =>
        new(TlsHelloKind.None, null, null, recordVersion, records, -1, error, offset, reason);

    private static string TooLongReason(int length) =>
        $"The hello announces {length} bytes, more than the {MaxHandshakeLength} this parser reads.";

    private static string FramingReason(ReadOnlySpan<byte> stream, in TlsFraming framing)
    {
        int at = framing.ErrorOffset;
        return framing.Error switch
        {
            TlsParseError.NotHandshakeRecord =>
                $"The record at offset {at} has content type {stream[at]}, not handshake (22){(at == 0 ? ": the stream is not TLS" : " before the hello was complete")}.",
            TlsParseError.Sslv2Hello => "The stream starts with an SSL 2.0 CLIENT-HELLO, which has no TLS record layer.",
            TlsParseError.BadRecordVersion =>
                $"The record at offset {at - 1} has version {stream[at]}.{stream[at + 1]}, not 3.0-3.4.",
            TlsParseError.EmptyRecord => $"The handshake record at offset {at - 3} is empty, which TLS forbids.",
            TlsParseError.RecordTooLong =>
                $"The record at offset {at - 3} announces {BinaryPrimitives.ReadUInt16BigEndian(stream[at..])} bytes, more than the 16384 a record may hold.",
            TlsParseError.NotHello =>
                $"The first handshake message (at offset {at}) has type {stream[at]}, not ClientHello (1) or ServerHello (2).",
            TlsParseError.HelloTooLong => TooLongReason(framing.HandshakeLength),
            _ => $"The record layer is malformed at offset {at} ({framing.Error}).",
        };
    }
}
