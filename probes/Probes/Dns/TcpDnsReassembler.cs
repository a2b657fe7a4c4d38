using OsqueryBpf.Dns;
namespace OsqueryBpf.Probes;

/// <summary>
/// Turns the TCP segments of DNS connections (<see cref="DnsPacket"/>s with <see cref="DnsTransport.Tcp"/>)
/// into whole DNS messages, one stream per direction of each connection.
/// </summary>
/// <remarks>
/// <para>DNS over TCP sends each message after a 2-byte big-endian length (RFC 1035 4.2.2; RFC 7766 allows
/// several messages per connection, pipelined). A segment can hold part of a message, one, or several.
/// Each stream appends payloads in sequence order and emits every complete message as a
/// <see cref="DnsPacket"/> whose <see cref="DnsPacket.Payload"/> is the message without its prefix and
/// whose other fields come from the segment that completed it.</para>
/// <para>Retransmitted bytes (a segment starting before the next expected byte) are skipped. A gap (a
/// segment after the next expected byte: a loss in the ring or an out-of-order segment) or a segment whose
/// payload was cut by the probe's capture limit cannot be reassembled: the stream's partial message is
/// discarded and counted in <see cref="Discarded"/>, and the stream restarts at the next segment (which, if
/// it is not at a message boundary, yields bytes the DNS parser will reject and count). A FIN or RST ends
/// the stream. At most <see cref="MaxStreams"/> streams are kept; beyond, the least recently fed is dropped
/// (also counted). Not thread-safe.</para>
/// </remarks>
public sealed class TcpDnsReassembler
{
    private const byte Fin = 0x01;
    private const byte Rst = 0x04;
    private const int PrefixLength = 2;

    private readonly Dictionary<StreamKey, Stream> _streams = new();

    /// <summary>A reassembler keeping at most <paramref name="maxStreams"/> open streams.</summary>
    public TcpDnsReassembler(int maxStreams = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStreams, 1);
        MaxStreams = maxStreams;
    }

    /// <summary>Most streams kept at once.</summary>
    public int MaxStreams { get; }

    /// <summary>Streams open now.</summary>
    public int OpenStreams => _streams.Count;

    /// <summary>Partial messages thrown away (gaps, cut segments, evicted streams).</summary>
    public long Discarded { get; private set; }

    private readonly record struct StreamKey(string Source, int SourcePort, string Destination, int DestinationPort);

    private sealed class Stream
    {
        public uint NextSequence;
        public byte[] Buffer = new byte[512];
        public int Length;
        public ulong LastSeenNs;
    }

    /// <summary>Feeds one TCP segment; adds every message it completes to <paramref name="messages"/>.</summary>
    /// <exception cref="ArgumentException">The packet is not TCP.</exception>
    public void Add(DnsPacket segment, List<DnsPacket> messages)
    {
        if (segment.Protocol != DnsTransport.Tcp)
            throw new ArgumentException($"Only TCP segments are reassembled; this packet is {segment.Protocol}.", nameof(segment));
        var key = new StreamKey(segment.SourceAddress, segment.SourcePort, segment.DestinationAddress, segment.DestinationPort);
        bool ends = (segment.TcpFlags & (Fin | Rst)) != 0;
        var payload = segment.Payload.Span;

        if (!_streams.TryGetValue(key, out var stream))
        {
            if (payload.IsEmpty)
                return;
            if (_streams.Count >= MaxStreams)
                EvictOldest();
            stream = new Stream { NextSequence = segment.TcpSequence };
            _streams[key] = stream;
        }
        stream.LastSeenNs = segment.BootNs;

        if (segment.Truncated)
        {
            // The bytes past the capture limit are unknown: nothing in this stream can be trusted until it restarts.
            Discard(key, stream);
            return;
        }

        int offset = unchecked((int)(segment.TcpSequence - stream.NextSequence));
        if (offset > 0)
        {
            // A gap: restart the stream at this segment.
            if (stream.Length > 0)
                Discarded++;
            stream.Length = 0;
            stream.NextSequence = segment.TcpSequence;
            offset = 0;
        }
        int skip = -offset; // bytes already appended (a retransmission)
        if (skip < payload.Length)
        {
            Append(stream, payload[skip..]);
            stream.NextSequence = unchecked(segment.TcpSequence + (uint)payload.Length);
        }

        int start = 0;
        while (stream.Length - start >= PrefixLength)
        {
            int length = (stream.Buffer[start] << 8) | stream.Buffer[start + 1];
            if (stream.Length - start - PrefixLength < length)
                break;
            var message = stream.Buffer.AsSpan(start + PrefixLength, length).ToArray();
            messages.Add(segment with { Payload = message, PayloadLength = length });
            start += PrefixLength + length;
        }
        if (start > 0)
        {
            stream.Buffer.AsSpan(start, stream.Length - start).CopyTo(stream.Buffer);
            stream.Length -= start;
        }

        if (ends)
        {
            if (stream.Length > 0)
                Discarded++;
            _streams.Remove(key);
        }
    }

    private static void Append(Stream stream, ReadOnlySpan<byte> bytes)
    {
        int needed = stream.Length + bytes.Length;
        if (needed > stream.Buffer.Length)
            Array.Resize(ref stream.Buffer, Math.Max(needed, stream.Buffer.Length * 2));
        bytes.CopyTo(stream.Buffer.AsSpan(stream.Length));
        stream.Length = needed;
    }

    private void Discard(StreamKey key, Stream stream)
    {
        if (stream.Length > 0)
            Discarded++;
        _streams.Remove(key);
    }

    private void EvictOldest()
    {
        StreamKey oldest = default;
        ulong oldestNs = ulong.MaxValue;
        foreach (var (key, stream) in _streams)
        {
            if (stream.LastSeenNs < oldestNs)
            {
                oldestNs = stream.LastSeenNs;
                oldest = key;
            }
        }
        Discard(oldest, _streams[oldest]);
    }
}
