using System.Buffers.Binary;

namespace OsqueryBpf.Dns;

/// <summary>Receives one DNS message cut out of a TCP stream; <paramref name="complete"/> is false when bytes of it were never captured.</summary>
public delegate void DnsTcpMessageHandler(ReadOnlySpan<byte> message, bool complete);

/// <summary>
/// Reassembles the DNS messages of one direction of one TCP connection from captured segments: sequence
/// numbers put the bytes in order, retransmitted bytes are dropped, and the 2-byte length framing
/// (<see cref="DnsTcpFraming"/>) cuts messages out.
/// <para>
/// Bytes that were not captured (a capture that keeps only the start of a segment, a segment the capture
/// missed or that arrives after later ones) are treated as lost. A message they fall inside is delivered with
/// what was captured and <c>complete: false</c>, and its length prefix says where the next message starts, so
/// framing survives. When a gap covers a length prefix, the next boundary is unknown: the stream is
/// <see cref="Desynchronized"/> and drops the rest of the connection, counting it. Every byte ends up in exactly
/// one count or message; nothing is lost silently.
/// </para>
/// <para>Holds at most one message (65,537 bytes). Not thread-safe: one stream per connection direction, used by one thread.</para>
/// </summary>
public sealed class DnsTcpStream
{
    private readonly byte[] _buffer = new byte[2 + DnsMessage.MaxLength];
    private int _buffered;
    private int _skip;
    private uint _next;
    private bool _started;

    /// <summary>Messages delivered whole.</summary>
    public long CompleteMessages { get; private set; }

    /// <summary>Messages delivered with bytes missing.</summary>
    public long IncompleteMessages { get; private set; }

    /// <summary>Bytes received twice (retransmissions, overlapping segments) and ignored the second time.</summary>
    public long DuplicateBytes { get; private set; }

    /// <summary>Bytes of the stream that were never captured.</summary>
    public long MissingBytes { get; private set; }

    /// <summary>Captured bytes thrown away because the framing was lost.</summary>
    public long DroppedBytes { get; private set; }

    /// <summary>True once a gap hid a message boundary; from then on everything is dropped and counted.</summary>
    public bool Desynchronized { get; private set; }

    /// <summary>The sequence number the next in-order byte will have (meaningful after the first segment).</summary>
    public uint NextSequence => _next;

    /// <summary>
    /// Adds one segment: <paramref name="captured"/> holds its first bytes, <paramref name="segmentLength"/> says
    /// how long its payload really was. The first segment seen fixes the stream's start, which must be a message
    /// boundary (the connection's first payload byte).
    /// </summary>
    public void Append(uint sequence, ReadOnlySpan<byte> captured, int segmentLength, DnsTcpMessageHandler onMessage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(segmentLength);
        if (captured.Length > segmentLength)
            captured = captured[..segmentLength];
        if (!_started)
        {
            _started = true;
            _next = sequence;
        }

        // Signed distance on the 32-bit sequence circle, so wrap-around needs no special case.
        var delta = (int)(sequence - _next);
        if (delta < 0)
        {
            var overlap = -delta;
            if (overlap >= segmentLength)
            {
                DuplicateBytes += segmentLength;
                return;
            }
            DuplicateBytes += overlap;
            captured = captured[Math.Min(overlap, captured.Length)..];
            segmentLength -= overlap;
            sequence = _next;
        }
        else if (delta > 0)
        {
            Miss(delta, onMessage);
        }

        Take(captured, onMessage);
        if (segmentLength > captured.Length)
            Miss(segmentLength - captured.Length, onMessage);
        _next = sequence + (uint)segmentLength;
    }

    /// <summary>
    /// The connection ended: a message still being assembled is delivered as incomplete (its sender never
    /// finished it, or the capture missed the end).
    /// </summary>
    public void Close(DnsTcpMessageHandler onMessage)
    {
        if (!Desynchronized && _buffered >= 2)
            DeliverIncomplete(onMessage);
        else if (_buffered > 0)
            DroppedBytes += _buffered;
        _buffered = 0;
        _skip = 0;
    }

    private void Take(ReadOnlySpan<byte> bytes, DnsTcpMessageHandler onMessage)
    {
        if (Desynchronized)
        {
            DroppedBytes += bytes.Length;
            return;
        }
        if (_skip > 0)
        {
            // The rest of a message already delivered as incomplete.
            var n = Math.Min(_skip, bytes.Length);
            _skip -= n;
            bytes = bytes[n..];
        }
        while (!bytes.IsEmpty)
        {
            var want = _buffered < 2 ? 2 - _buffered : 2 + FrameLength - _buffered;
            var n = Math.Min(want, bytes.Length);
            bytes[..n].CopyTo(_buffer.AsSpan(_buffered));
            _buffered += n;
            bytes = bytes[n..];
            if (_buffered >= 2 && _buffered == 2 + FrameLength)
            {
                CompleteMessages++;
                onMessage(_buffer.AsSpan(2, FrameLength), true);
                _buffered = 0;
            }
        }
    }

    private void Miss(int count, DnsTcpMessageHandler onMessage)
    {
        MissingBytes += count;
        if (Desynchronized)
            return;
        if (_skip > 0)
        {
            var n = Math.Min(_skip, count);
            _skip -= n;
            count -= n;
        }
        if (count == 0)
            return;
        if (_buffered < 2)
        {
            // The gap hides (part of) a length prefix: where the next message starts is unknown.
            DroppedBytes += _buffered;
            _buffered = 0;
            Desynchronized = true;
            return;
        }
        var rest = FrameLength - (_buffered - 2);
        DeliverIncomplete(onMessage);
        if (count <= rest)
            _skip = rest - count;
        else
            Desynchronized = true;
    }

    private void DeliverIncomplete(DnsTcpMessageHandler onMessage)
    {
        IncompleteMessages++;
        onMessage(_buffer.AsSpan(2, _buffered - 2), false);
        _buffered = 0;
    }

    private int FrameLength => BinaryPrimitives.ReadUInt16BigEndian(_buffer);
}
