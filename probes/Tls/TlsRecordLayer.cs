using System.Buffers.Binary;

namespace OsqueryBpf.Tls;

/// <summary>What <see cref="TlsRecordLayer.Measure"/> found at the start of a TLS byte stream.</summary>
public enum TlsFramingStatus
{
    /// <summary>The first handshake message is all there; <see cref="TlsFraming.Length"/> says where it ends.</summary>
    Complete,

    /// <summary>Everything so far is well-formed but the first handshake message is not finished.</summary>
    NeedMore,

    /// <summary>The stream cannot hold a hello: <see cref="TlsFraming.Error"/> says why.</summary>
    Invalid,
}

/// <summary>
/// The record-layer view of a stream's first handshake message.
/// </summary>
/// <param name="Status">Complete, NeedMore or Invalid.</param>
/// <param name="Length">
/// Complete: the stream offset just past the message's last byte (the record holding it may go on: bytes after the
/// hello are not needed). Otherwise the bytes examined.
/// </param>
/// <param name="Records">Handshake records read (fully or partly).</param>
/// <param name="HandshakeType">The message's type (1 ClientHello, 2 ServerHello); -1 before its first byte.</param>
/// <param name="HandshakeLength">The message's announced body length; -1 before its 4-byte header is complete.</param>
/// <param name="Gathered">Bytes of the message (its header included) present in the stream.</param>
/// <param name="Error">Why the status is Invalid; <see cref="TlsParseError.None"/> otherwise.</param>
/// <param name="ErrorOffset">The stream offset of the problem; -1 without one.</param>
public readonly record struct TlsFraming(
    TlsFramingStatus Status, int Length, int Records, int HandshakeType, int HandshakeLength, int Gathered,
    TlsParseError Error, int ErrorOffset);

/// <summary>
/// The TLS record layer (RFC 8446 section 5.1, RFC 5246 section 6.2) as far as a hello needs it: a stream of
/// records of 5-byte header (content type, legacy version, length) and fragment, whose handshake fragments
/// concatenate into handshake messages (1-byte type, 3-byte length, body). A hello may be split over several
/// records, and a record may hold several messages. Never throws; allocates nothing.
/// </summary>
public static class TlsRecordLayer
{
    /// <summary>Bytes of a record header.</summary>
    public const int HeaderLength = 5;

    /// <summary>The most a plaintext record may hold (2^14).</summary>
    public const int MaxFragmentLength = 16384;

    /// <summary>The handshake content type.</summary>
    public const byte Handshake = 22;

    /// <summary>Bytes of a handshake message header.</summary>
    public const int HandshakeHeaderLength = 4;

    /// <summary>
    /// True when <paramref name="bytes"/> (at least 6) start like a stream whose first record carries a hello:
    /// content type 22, version 3.0-3.4, a length of 1..2^14, and handshake type 1 or 2. This is what a capture
    /// checks to decide that a TCP payload starts a TLS handshake.
    /// </summary>
    public static bool LooksLikeHelloStart(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength + 1)
            return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[3..]);
        return bytes[0] == Handshake && bytes[1] == 3 && bytes[2] <= 4 && length is > 0 and <= MaxFragmentLength &&
               bytes[5] is 1 or 2;
    }

    /// <summary>
    /// Walks the records at the start of <paramref name="stream"/> (the first byte must be a record's first byte)
    /// until the first handshake message is complete, or it is certain it cannot be a hello, or the bytes run out.
    /// Checks each record header (type, version, length) and the message's type and announced length (at most
    /// <paramref name="maxHandshakeLength"/>) as soon as their bytes are there, so a stream that is not TLS is
    /// refused from its first bytes.
    /// </summary>
    public static TlsFraming Measure(ReadOnlySpan<byte> stream, int maxHandshakeLength = TlsHello.MaxHandshakeLength) =>
        Walk(stream, maxHandshakeLength, default, out _);

    /// <summary>
    /// Measures like <see cref="Measure"/> and copies the message's bytes present in the stream (its header
    /// included) into <paramref name="destination"/>, which must hold <see cref="TlsFraming.Gathered"/> bytes
    /// (at most <paramref name="maxHandshakeLength"/> + 4).
    /// </summary>
    internal static TlsFraming Gather(ReadOnlySpan<byte> stream, int maxHandshakeLength, Span<byte> destination) =>
        Walk(stream, maxHandshakeLength, destination, out _);

    /// <summary>
    /// The stream offset of byte <paramref name="messageOffset"/> of the first handshake message, following the
    /// records it is spread over; -1 when that byte is not in the stream.
    /// </summary>
    internal static int StreamOffset(ReadOnlySpan<byte> stream, int messageOffset)
    {
        int offset = 0, gathered = 0;
        while (stream.Length - offset >= HeaderLength)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(stream[(offset + 3)..]);
            int available = Math.Min(length, stream.Length - offset - HeaderLength);
            if (messageOffset < gathered + available)
                return offset + HeaderLength + (messageOffset - gathered);
            gathered += available;
            if (available < length || length == 0)
                break;
            offset += HeaderLength + length;
        }
        return -1;
    }

    private static TlsFraming Walk(ReadOnlySpan<byte> stream, int maxHandshakeLength, Span<byte> copy, out int copied)
    {
        copied = 0;
        int offset = 0, records = 0, gathered = 0, type = -1, bodyLength = -1, lengthAt = -1;
        Span<byte> header = stackalloc byte[HandshakeHeaderLength];
        while (true)
        {
            int left = stream.Length - offset;
            // Check what is there of a record header before waiting for the rest of it.
            if (left >= 1 && stream[offset] != Handshake)
            {
                var error = offset == 0 && LooksLikeSslv2Hello(stream) ? TlsParseError.Sslv2Hello : TlsParseError.NotHandshakeRecord;
                return Invalid(error, offset);
            }
            if (left >= 3 && (stream[offset + 1] != 3 || stream[offset + 2] > 4))
                return Invalid(TlsParseError.BadRecordVersion, offset + 1);
            if (left < HeaderLength)
                return new TlsFraming(TlsFramingStatus.NeedMore, stream.Length, records, type, bodyLength, gathered, TlsParseError.None, -1);
            int length = BinaryPrimitives.ReadUInt16BigEndian(stream[(offset + 3)..]);
            if (length == 0)
                return Invalid(TlsParseError.EmptyRecord, offset + 3);
            if (length > MaxFragmentLength)
                return Invalid(TlsParseError.RecordTooLong, offset + 3);
            records++;

            int fragment = offset + HeaderLength;
            int available = Math.Min(length, stream.Length - fragment);
            for (int i = 0; i < available; i++)
            {
                if (gathered < HandshakeHeaderLength)
                {
                    header[gathered] = stream[fragment + i];
                    if (gathered == 1)
                        lengthAt = fragment + i;
                    if (gathered == 0)
                    {
                        type = header[0];
                        if (type is not (1 or 2))
                            return Invalid(TlsParseError.NotHello, fragment + i);
                    }
                    if (!copy.IsEmpty)
                        copy[copied++] = stream[fragment + i];
                    gathered++;
                    if (gathered == HandshakeHeaderLength)
                    {
                        bodyLength = (header[1] << 16) | (header[2] << 8) | header[3];
                        if (bodyLength > maxHandshakeLength)
                            return Invalid(TlsParseError.HelloTooLong, lengthAt);
                        if (bodyLength == 0)
                        {
                            available = i + 1;
                            break;
                        }
                    }
                    continue;
                }
                // The rest of the message: take it in one piece.
                int take = Math.Min(available - i, HandshakeHeaderLength + bodyLength - gathered);
                if (!copy.IsEmpty)
                {
                    stream.Slice(fragment + i, take).CopyTo(copy[copied..]);
                    copied += take;
                }
                gathered += take;
                i += take - 1;
                if (gathered == HandshakeHeaderLength + bodyLength)
                {
                    available = i + 1;
                    break;
                }
            }
            if (bodyLength >= 0 && gathered == HandshakeHeaderLength + bodyLength)
                return new TlsFraming(TlsFramingStatus.Complete, fragment + available, records, type, bodyLength, gathered, TlsParseError.None, -1);
            if (available < length)
                return new TlsFraming(TlsFramingStatus.NeedMore, stream.Length, records, type, bodyLength, gathered, TlsParseError.None, -1);
            offset = fragment + length;
        }

        TlsFraming Invalid(TlsParseError error, int at) =>
            new(TlsFramingStatus.Invalid, at, records, type, bodyLength, gathered, error, at);
    }

    /// <summary>An SSL 2.0 record: a 2-byte header with the top bit set, then message type 1 (CLIENT-HELLO).</summary>
    private static bool LooksLikeSslv2Hello(ReadOnlySpan<byte> stream) =>
        stream.Length >= 3 && (stream[0] & 0x80) != 0 && stream[2] == 1;
}
