using System.Buffers;

namespace OsqueryBpf.Tls;

/// <summary>The TCP flags the reassembler looks at, with their bit values in the TCP header.</summary>
[Flags]
public enum TlsTcpFlags : byte
{
    /// <summary>No flag of interest.</summary>
    None = 0,

    /// <summary>FIN: the sender has no more bytes.</summary>
    Fin = 0x01,

    /// <summary>SYN: the segment's sequence number is the ISN; the first payload byte is ISN + 1.</summary>
    Syn = 0x02,

    /// <summary>RST: the connection is gone.</summary>
    Rst = 0x04,
}

/// <summary>How the bytes handed to a <see cref="TlsHelloHandler"/> came to be handed over.</summary>
public enum TlsCaptureOutcome
{
    /// <summary>Every byte of the hello is there.</summary>
    Complete,

    /// <summary>The stream's first bytes cannot start a hello (a bad record or handshake header); the parser says why.</summary>
    Malformed,

    /// <summary>The capture kept only the start of a segment that the hello needs (the probe's byte cap).</summary>
    CaptureCut,

    /// <summary>Bytes the hello needs did not arrive within the wait.</summary>
    TimedOut,

    /// <summary>FIN, RST or a new SYN came before the hello was complete.</summary>
    Closed,

    /// <summary>The hello needs more bytes than a stream may hold (<see cref="TlsHelloReassembler.MaxHelloBytes"/>).</summary>
    TooLarge,

    /// <summary>The segments left more separate holes than a stream tracks (<see cref="TlsHelloReassembler.MaxRanges"/>).</summary>
    Fragmented,

    /// <summary>The reassembler was full (streams or bytes) and this stream had waited longest.</summary>
    Evicted,
}

/// <summary>What a <see cref="TlsHelloHandler"/> learns besides the bytes.</summary>
/// <param name="Flow">The direction the hello was sent in.</param>
/// <param name="FirstSeenNs">The timestamp of the stream's first segment.</param>
/// <param name="LastSeenNs">The timestamp of its latest segment.</param>
/// <param name="Outcome">Complete, or why the bytes stop short.</param>
/// <param name="Segments">Segments of this stream seen so far.</param>
public readonly record struct TlsHelloCapture(TlsFlow Flow, long FirstSeenNs, long LastSeenNs, TlsCaptureOutcome Outcome, int Segments);

/// <summary>
/// Receives the first bytes of one direction of a TLS connection: from its first payload byte through the end of
/// its first handshake message (or as far as they go). Pass them to <see cref="TlsHello.Parse"/>. The span is
/// valid only during the call, and the handler must not call back into the reassembler.
/// </summary>
public delegate void TlsHelloHandler(in TlsHelloCapture capture, ReadOnlySpan<byte> stream);

/// <summary>
/// Puts the first bytes of TCP connections back in order until each direction's hello (ClientHello one way,
/// ServerHello the other) is complete, from captured segments that may be split anywhere, arrive out of order,
/// repeat, or be cut short by the capture.
/// </summary>
/// <remarks>
/// <para>Each direction of each connection is a stream. Its first byte is ISN + 1 when the SYN was seen; otherwise
/// the lowest-sequence segment that starts like a hello (<see cref="TlsRecordLayer.LooksLikeHelloStart"/>), so a
/// connection opened before the capture started is still read, and segments that arrive before the first one are
/// held until it comes. After every segment, the record layer is measured over the bytes held in order from the
/// start; as soon as the first handshake message is complete, the bytes go to the handler and the stream is done
/// (later segments of the connection cost a dictionary lookup and are ignored).</para>
/// <para>Bounded: a stream holds at most <see cref="MaxHelloBytes"/> bytes in at most <see cref="MaxRanges"/>
/// separate ranges, in pooled buffers; at most <see cref="MaxStreams"/> streams and
/// <see cref="MaxBufferedBytes"/> bytes are kept (beyond, the stream that waited longest is given up); a stream
/// waits at most <see cref="MaxWaitNanoseconds"/> for its hello, measured on the segments' own timestamps
/// (<see cref="Expire"/> applies it when no segments come). Whatever is given up is handed over with its
/// <see cref="TlsCaptureOutcome"/> when it holds the stream's start, and counted either way: nothing is dropped
/// silently. Not thread-safe: one thread feeds it.</para>
/// </remarks>
public sealed class TlsHelloReassembler
{
    /// <summary>Separate byte ranges a stream tracks before it gives up as <see cref="TlsCaptureOutcome.Fragmented"/>.</summary>
    public const int MaxRanges = 16;

    private const int FirstBufferSize = 2048;

    private readonly Dictionary<TlsFlow, Stream> _streams = new();
    private readonly Stack<Stream> _free = new();
    private readonly List<Stream> _victims = new();
    private long _nextSweepNs = long.MinValue;

    /// <summary>A reassembler with the given bounds.</summary>
    /// <param name="maxStreams">Streams kept at once, waiting or done (1..1,000,000).</param>
    /// <param name="maxHelloBytes">Bytes a stream may hold (64..1 MiB): the longest hello, record headers included, that can complete.</param>
    /// <param name="maxWaitNanoseconds">How long a stream waits for its hello to complete (at least 1 ms).</param>
    /// <param name="maxBufferedBytes">Buffer bytes held by all streams together (at least maxHelloBytes).</param>
    public TlsHelloReassembler(int maxStreams = 4096, int maxHelloBytes = 16384, long maxWaitNanoseconds = 2_000_000_000,
        long maxBufferedBytes = 8 << 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStreams, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxStreams, 1_000_000);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHelloBytes, 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxHelloBytes, 1 << 20);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWaitNanoseconds, 1_000_000);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBufferedBytes, maxHelloBytes);
        MaxStreams = maxStreams;
        MaxHelloBytes = maxHelloBytes;
        MaxWaitNanoseconds = maxWaitNanoseconds;
        MaxBufferedBytes = maxBufferedBytes;
    }

    /// <summary>Most streams kept at once.</summary>
    public int MaxStreams { get; }

    /// <summary>Most bytes one stream holds.</summary>
    public int MaxHelloBytes { get; }

    /// <summary>Longest wait for a hello.</summary>
    public long MaxWaitNanoseconds { get; }

    /// <summary>Most buffer bytes held by all streams.</summary>
    public long MaxBufferedBytes { get; }

    /// <summary>Streams kept now (waiting for their hello, or done and remembered so that later segments are ignored).</summary>
    public int OpenStreams => _streams.Count;

    /// <summary>Buffer bytes held now.</summary>
    public long BufferedBytes { get; private set; }

    /// <summary>Hellos handed over whole (<see cref="TlsCaptureOutcome.Complete"/>).</summary>
    public long Hellos { get; private set; }

    /// <summary>Streams handed over as <see cref="TlsCaptureOutcome.Malformed"/>.</summary>
    public long Malformed { get; private set; }

    /// <summary>Streams handed over incomplete (cut, timed out, closed, too large, fragmented or evicted).</summary>
    public long Incomplete { get; private set; }

    /// <summary>Streams whose first bytes were not a TLS handshake record at all (not handed over).</summary>
    public long NotTls { get; private set; }

    /// <summary>Streams given up (timed out, closed, evicted) whose first bytes never arrived, so nothing could be handed over.</summary>
    public long MissingStart { get; private set; }

    /// <summary>Streams given up because the reassembler was full (also counted in Incomplete or MissingStart).</summary>
    public long Evicted { get; private set; }

    /// <summary>Bytes received twice (retransmissions, overlapping segments), kept once.</summary>
    public long DuplicateBytes { get; private set; }

    /// <summary>Captured bytes not kept: past <see cref="MaxHelloBytes"/>, or no room in the byte budget.</summary>
    public long DroppedBytes { get; private set; }

    private struct ByteRange
    {
        public int From;
        public int To;
        public bool CutAfter; // the capture missed bytes right after To
    }

    private sealed class Stream
    {
        public TlsFlow Flow;
        public bool Done;
        public bool StartKnown;
        public uint Base; // the sequence number of Buffer[0]
        public byte[]? Buffer;
        public readonly ByteRange[] Ranges = new ByteRange[MaxRanges];
        public int RangeCount;
        public long FirstSeenNs;
        public long LastSeenNs;
        public int Segments;

        public int Extent => RangeCount == 0 ? 0 : Ranges[RangeCount - 1].To;

        public int Contiguous => RangeCount > 0 && Ranges[0].From == 0 ? Ranges[0].To : 0;
    }

    /// <summary>
    /// Feeds one TCP segment of <paramref name="flow"/>: its sequence number, flags, the captured bytes of its
    /// payload (possibly only the first ones) and the payload's real length. Hands every hello it completes, and
    /// every stream it gives up, to <paramref name="onHello"/>. Never throws on any segment.
    /// </summary>
    public void Add(in TlsFlow flow, uint sequence, TlsTcpFlags flags, ReadOnlySpan<byte> captured, int payloadLength,
        long timestampNs, TlsHelloHandler onHello)
    {
        payloadLength = Math.Max(payloadLength, captured.Length);
        if (timestampNs >= _nextSweepNs)
            Expire(timestampNs, onHello);
        bool syn = (flags & TlsTcpFlags.Syn) != 0;
        bool ends = (flags & (TlsTcpFlags.Fin | TlsTcpFlags.Rst)) != 0;
        uint firstByte = syn ? sequence + 1 : sequence;

        if (!_streams.TryGetValue(flow, out var stream))
        {
            if (!syn && captured.IsEmpty)
                return; // an ACK, FIN or RST of a connection not followed
            stream = Open(flow, timestampNs, onHello);
            stream.Base = firstByte;
            stream.StartKnown = syn;
        }
        else if (syn && (!stream.StartKnown || stream.Base != firstByte))
        {
            // A new connection on the same addresses and ports (a retransmitted SYN has the same ISN).
            if (!stream.Done)
                GiveUp(stream, TlsCaptureOutcome.Closed, onHello);
            Reset(stream, timestampNs);
            stream.Base = firstByte;
            stream.StartKnown = true;
        }
        stream.LastSeenNs = timestampNs;
        stream.Segments++;

        if (!stream.Done && !stream.StartKnown && !captured.IsEmpty && unchecked((int)(firstByte - stream.Base)) > 0 &&
            TlsRecordLayer.LooksLikeHelloStart(captured) && !HeldStartLooksLikeHello(stream))
        {
            // A hello after bytes that are not one (STARTTLS, a CONNECT or SOCKS tunnel, a connection followed
            // from its middle): TLS starts here; what came before is not part of it, what came after may be.
            DropBefore(stream, unchecked((int)(firstByte - stream.Base)));
        }
        if (!stream.Done && !captured.IsEmpty)
        {
            if (!Place(stream, firstByte, captured, payloadLength, onHello))
                GiveUp(stream, TlsCaptureOutcome.Fragmented, onHello);
            else
                Check(stream, onHello);
        }
        if (ends)
        {
            if (!stream.Done)
                GiveUp(stream, TlsCaptureOutcome.Closed, onHello);
            Remove(stream);
        }
    }

    /// <summary>
    /// Gives up on streams that have waited longer than <see cref="MaxWaitNanoseconds"/> at
    /// <paramref name="nowNs"/> (same clock as the segments' timestamps), and forgets finished streams idle that
    /// long. <see cref="Add"/> calls it as time passes; call it when no segments come.
    /// </summary>
    public void Expire(long nowNs, TlsHelloHandler onHello)
    {
        _nextSweepNs = nowNs + Math.Max(1, MaxWaitNanoseconds / 4);
        _victims.Clear();
        foreach (var stream in _streams.Values)
        {
            if (stream.Done ? nowNs - stream.LastSeenNs > MaxWaitNanoseconds : nowNs - stream.FirstSeenNs > MaxWaitNanoseconds)
                _victims.Add(stream);
        }
        foreach (var stream in _victims)
        {
            if (!stream.Done)
                GiveUp(stream, TlsCaptureOutcome.TimedOut, onHello);
            Remove(stream);
        }
        _victims.Clear();
    }

    private Stream Open(in TlsFlow flow, long timestampNs, TlsHelloHandler onHello)
    {
        if (_streams.Count >= MaxStreams)
            EvictOldest(null, onHello);
        var stream = _free.Count > 0 ? _free.Pop() : new Stream();
        stream.Flow = flow;
        Reset(stream, timestampNs);
        _streams[flow] = stream;
        return stream;
    }

    private void Reset(Stream stream, long timestampNs)
    {
        Release(stream);
        stream.Done = false;
        stream.StartKnown = false;
        stream.RangeCount = 0;
        stream.FirstSeenNs = timestampNs;
        stream.LastSeenNs = timestampNs;
        stream.Segments = 0;
    }

    private void Remove(Stream stream)
    {
        Release(stream);
        _streams.Remove(stream.Flow);
        if (_free.Count < 256)
            _free.Push(stream);
    }

    private void Release(Stream stream)
    {
        if (stream.Buffer is null)
            return;
        BufferedBytes -= stream.Buffer.Length;
        ArrayPool<byte>.Shared.Return(stream.Buffer);
        stream.Buffer = null;
    }

    private static bool HeldStartLooksLikeHello(Stream stream) =>
        stream.Contiguous > TlsRecordLayer.HeaderLength && TlsRecordLayer.LooksLikeHelloStart(stream.Buffer.AsSpan(0, stream.Contiguous));

    /// <summary>Makes byte <paramref name="offset"/> the stream's first, dropping (and counting) what is held before it.</summary>
    private void DropBefore(Stream stream, int offset)
    {
        int extent = stream.Extent;
        int kept = 0;
        for (int i = 0; i < stream.RangeCount; i++)
        {
            var range = stream.Ranges[i];
            DroppedBytes += Math.Max(0, Math.Min(range.To, offset) - range.From);
            if (range.To <= offset)
                continue;
            stream.Ranges[kept++] = new ByteRange { From = Math.Max(range.From, offset) - offset, To = range.To - offset, CutAfter = range.CutAfter };
        }
        if (extent > offset)
            stream.Buffer.AsSpan(offset, extent - offset).CopyTo(stream.Buffer);
        stream.RangeCount = kept;
        stream.Base += (uint)offset;
    }

    /// <summary>Copies a segment's bytes into place; false when that would need more than <see cref="MaxRanges"/> ranges.</summary>
    private bool Place(Stream stream, uint sequence, ReadOnlySpan<byte> captured, int payloadLength, TlsHelloHandler onHello)
    {
        int at = unchecked((int)(sequence - stream.Base)); // signed distance on the sequence circle
        if (at < 0)
        {
            if (stream.StartKnown)
            {
                // Bytes before the stream's first byte: a retransmission reaching back past it.
                int skip = -at;
                if (skip >= payloadLength)
                {
                    DuplicateBytes += captured.Length;
                    return true;
                }
                DuplicateBytes += Math.Min(skip, captured.Length);
                captured = skip >= captured.Length ? default : captured[skip..];
                payloadLength -= skip;
                at = 0;
            }
            else
            {
                // A segment from before everything held, while the start is not known: move what is held up.
                int shift = -at;
                if ((long)stream.Extent + shift > MaxHelloBytes || !Reserve(stream, stream.Extent + shift, onHello))
                {
                    DroppedBytes += captured.Length;
                    return true;
                }
                if (stream.RangeCount > 0)
                    stream.Buffer.AsSpan(0, stream.Extent).CopyTo(stream.Buffer.AsSpan(shift));
                for (int i = 0; i < stream.RangeCount; i++)
                {
                    stream.Ranges[i].From += shift;
                    stream.Ranges[i].To += shift;
                }
                stream.Base = sequence;
                at = 0;
            }
        }
        if (captured.IsEmpty)
            return true;
        bool cut = captured.Length < payloadLength;
        if ((long)at + captured.Length > MaxHelloBytes)
        {
            int keep = Math.Max(0, MaxHelloBytes - at);
            DroppedBytes += captured.Length - keep;
            captured = captured[..keep];
            cut = true;
            if (captured.IsEmpty)
                return true;
        }
        int end = at + captured.Length;
        if (!Reserve(stream, end, onHello))
        {
            DroppedBytes += captured.Length;
            return true;
        }
        captured.CopyTo(stream.Buffer.AsSpan(at));
        return AddRange(stream, at, end, cut);
    }

    /// <summary>Makes the stream's buffer hold at least <paramref name="length"/> bytes, within the byte budget.</summary>
    private bool Reserve(Stream stream, int length, TlsHelloHandler onHello)
    {
        int have = stream.Buffer?.Length ?? 0;
        if (length <= have)
            return true;
        int size = Math.Min(MaxHelloBytes, Math.Max(FirstBufferSize, Math.Max(length, have * 2)));
        while (BufferedBytes - have + size > MaxBufferedBytes)
        {
            if (!EvictOldest(stream, onHello))
                return false;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        if (stream.Buffer is not null)
        {
            stream.Buffer.AsSpan(0, stream.Extent).CopyTo(buffer);
            Release(stream);
        }
        stream.Buffer = buffer;
        BufferedBytes += buffer.Length;
        return true;
    }

    /// <summary>Records that [from, to) is held; merges touching ranges. False when the ranges would exceed the limit.</summary>
    private bool AddRange(Stream stream, int from, int to, bool cut)
    {
        var ranges = stream.Ranges;
        int n = stream.RangeCount;
        int first = 0;
        while (first < n && ranges[first].To < from)
            first++;
        int last = first; // ranges [first, last) touch or overlap the new one
        var merged = new ByteRange { From = from, To = to, CutAfter = cut };
        long overlap = 0;
        while (last < n && ranges[last].From <= to)
        {
            overlap += Math.Max(0, Math.Min(to, ranges[last].To) - Math.Max(from, ranges[last].From));
            merged.From = Math.Min(merged.From, ranges[last].From);
            if (ranges[last].To > merged.To)
                merged = merged with { To = ranges[last].To, CutAfter = ranges[last].CutAfter };
            else if (ranges[last].To == merged.To)
                merged.CutAfter |= ranges[last].CutAfter;
            last++;
        }
        DuplicateBytes += overlap;
        int touched = last - first;
        if (touched == 0)
        {
            if (n == MaxRanges)
                return false;
            Array.Copy(ranges, first, ranges, first + 1, n - first);
            stream.RangeCount = n + 1;
        }
        else if (touched > 1)
        {
            Array.Copy(ranges, last, ranges, first + 1, n - last);
            stream.RangeCount = n - touched + 1;
        }
        ranges[first] = merged;
        return true;
    }

    /// <summary>Hands the stream over when its hello is complete, or when it can never be.</summary>
    private void Check(Stream stream, TlsHelloHandler onHello)
    {
        var buffer = stream.Buffer!;
        if (!stream.StartKnown)
        {
            if (stream.Contiguous < TlsRecordLayer.HeaderLength + 1 || !TlsRecordLayer.LooksLikeHelloStart(buffer))
                return;
            stream.StartKnown = true;
        }
        int contiguous = stream.Contiguous;
        if (contiguous == 0)
            return;
        var framing = TlsRecordLayer.Measure(buffer.AsSpan(0, contiguous));
        switch (framing.Status)
        {
            case TlsFramingStatus.Complete:
                Deliver(stream, TlsCaptureOutcome.Complete, framing.Length, onHello);
                break;
            case TlsFramingStatus.Invalid when framing.ErrorOffset == 0:
                NotTls++; // the very first byte is not a handshake record: not TLS, no row
                Finish(stream);
                break;
            case TlsFramingStatus.Invalid:
                Deliver(stream, TlsCaptureOutcome.Malformed, contiguous, onHello);
                break;
            case TlsFramingStatus.NeedMore when contiguous >= MaxHelloBytes:
                Deliver(stream, TlsCaptureOutcome.TooLarge, contiguous, onHello);
                break;
            case TlsFramingStatus.NeedMore when stream.Ranges[0].CutAfter:
                Deliver(stream, TlsCaptureOutcome.CaptureCut, contiguous, onHello);
                break;
        }
    }

    private void GiveUp(Stream stream, TlsCaptureOutcome outcome, TlsHelloHandler onHello)
    {
        if (outcome == TlsCaptureOutcome.Evicted)
            Evicted++;
        int contiguous = stream.StartKnown ? stream.Contiguous : 0;
        if (contiguous > 0)
        {
            Deliver(stream, outcome, contiguous, onHello);
            return;
        }
        if (stream.RangeCount > 0)
            MissingStart++;
        Finish(stream);
    }

    private void Deliver(Stream stream, TlsCaptureOutcome outcome, int length, TlsHelloHandler onHello)
    {
        switch (outcome)
        {
            case TlsCaptureOutcome.Complete:
                Hellos++;
                break;
            case TlsCaptureOutcome.Malformed:
                Malformed++;
                break;
            default:
                Incomplete++;
                break;
        }
        var capture = new TlsHelloCapture(stream.Flow, stream.FirstSeenNs, stream.LastSeenNs, outcome, stream.Segments);
        try
        {
            onHello(capture, stream.Buffer.AsSpan(0, length));
        }
        finally
        {
            Finish(stream);
        }
    }

    private void Finish(Stream stream)
    {
        stream.Done = true;
        stream.RangeCount = 0;
        Release(stream);
    }

    /// <summary>Gives up the stream that waited longest (finished ones first, which costs nothing); false when there is none but <paramref name="keep"/>.</summary>
    private bool EvictOldest(Stream? keep, TlsHelloHandler onHello)
    {
        Stream? oldestDone = null, oldestWaiting = null;
        foreach (var stream in _streams.Values)
        {
            if (stream == keep)
                continue;
            if (stream.Done)
            {
                if (oldestDone is null || stream.LastSeenNs < oldestDone.LastSeenNs)
                    oldestDone = stream;
            }
            else if (oldestWaiting is null || stream.FirstSeenNs < oldestWaiting.FirstSeenNs)
            {
                oldestWaiting = stream;
            }
        }
        // A finished stream frees no buffer: under byte pressure only a waiting one helps.
        var victim = keep is null ? oldestDone ?? oldestWaiting : oldestWaiting;
        if (victim is null)
            return false;
        if (!victim.Done)
            GiveUp(victim, TlsCaptureOutcome.Evicted, onHello);
        Remove(victim);
        return true;
    }
}
