using System.Buffers.Binary;

namespace OsqueryBpf.Dns;

/// <summary>
/// DNS over TCP frames every message with a 2-byte big-endian length (RFC 1035 section 4.2.2, RFC 7766).
/// One TCP payload may hold several messages and end inside one. Use as
/// <c>var frames = DnsTcpFraming.Split(payload); while (frames.MoveNext(out var m)) Parse(m);</c>
/// then <see cref="DnsTcpFrames.Consumed"/> says how many bytes were whole messages and
/// <see cref="DnsTcpFrames.PendingLength"/> what the unfinished one at the end announced.
/// </summary>
public static class DnsTcpFraming
{
    /// <summary>Walks the length-prefixed messages of a TCP payload. Never reads past <paramref name="stream"/>.</summary>
    public static DnsTcpFrames Split(ReadOnlySpan<byte> stream) => new(stream);
}

/// <summary>The messages of one TCP payload, in order (see <see cref="DnsTcpFraming"/>).</summary>
public ref struct DnsTcpFrames
{
    private readonly ReadOnlySpan<byte> _stream;
    private int _position;

    internal DnsTcpFrames(ReadOnlySpan<byte> stream)
    {
        _stream = stream;
        _position = 0;
    }

    /// <summary>Bytes taken by the complete frames returned so far (prefixes included).</summary>
    public readonly int Consumed => _position;

    /// <summary>Bytes after the last complete frame: the start of a message whose rest has not arrived.</summary>
    public readonly ReadOnlySpan<byte> Remainder => _stream[_position..];

    /// <summary>
    /// The length that the unfinished frame at the end announces, or -1 when fewer than 2 bytes are left
    /// (0 bytes: nothing pending; 1 byte: even the length is incomplete). Meaningful once
    /// <see cref="MoveNext"/> has returned false.
    /// </summary>
    public readonly int PendingLength =>
        _stream.Length - _position >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(_stream[_position..]) : -1;

    /// <summary>
    /// The next complete message, without its length prefix. A zero-length frame gives an empty message
    /// (which <see cref="DnsMessage.Parse"/> reports as <see cref="DnsParseError.Empty"/>).
    /// Returns false at the end of the payload or at a frame that is not complete.
    /// </summary>
    public bool MoveNext(out ReadOnlySpan<byte> message)
    {
        message = default;
        if (_stream.Length - _position < 2)
            return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(_stream[_position..]);
        if (_stream.Length - _position - 2 < length)
            return false;
        message = _stream.Slice(_position + 2, length);
        _position += 2 + length;
        return true;
    }
}
