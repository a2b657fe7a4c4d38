using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// Where a table puts the rows of one <c>generate</c> (or <c>columns</c>) call: each row goes straight into the
/// Thrift bytes of the reply (a <c>map&lt;string,string&gt;</c> per row), so a large result exists once, encoded,
/// instead of as strings and dictionaries and then again as bytes. Memory grows in segments of 256 KiB that are
/// dropped when the reply has been sent.
/// </summary>
/// <remarks>
/// A row is written with <see cref="BeginRow"/>, any number of <c>Add</c> calls, and <see cref="EndRow"/>.
/// <see cref="EndRow"/> refuses a row that would take the reply past <see cref="MaxBytes"/> (osqueryd cannot read
/// replies near 100 MiB): the row is removed again and the table decides whether to stop or to say why.
/// Not thread-safe: one table fills it on one thread.
/// </remarks>
public sealed class TableRows
{
    private const int FirstSegmentBytes = 16 * 1024;
    private const byte TypeString = 11;

    private readonly List<Segment> _segments = [];
    private int _rowSegment = -1; // where the open row's map header is; -1 when no row is open
    private int _rowOffset;
    private long _rowStartBytes;
    private int _rowPairs;
    private long _bytes;

    /// <summary>Creates an empty result that refuses rows beyond <paramref name="maxBytes"/> encoded bytes.</summary>
    public TableRows(long maxBytes = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        MaxBytes = maxBytes;
    }

    /// <summary>The most encoded bytes the rows may take.</summary>
    public long MaxBytes { get; }

    /// <summary>Complete rows so far.</summary>
    public int Count { get; private set; }

    /// <summary>Encoded bytes of the complete rows so far.</summary>
    public long Bytes => _rowSegment < 0 ? _bytes : _rowStartBytes;

    /// <summary>Rows refused because they did not fit (see <see cref="EndRow"/>).</summary>
    public long Refused { get; private set; }

    /// <summary>
    /// Set by a table that answers with only part of its result on purpose (the rows that fit, chosen by the table)
    /// and says so elsewhere; when it is false, a refused row makes the whole call fail with a message saying why,
    /// so that nothing goes missing silently.
    /// </summary>
    public bool TruncationReported { get; set; }

    /// <summary>Starts a row. A row left open by the previous call is discarded.</summary>
    public void BeginRow()
    {
        if (_rowSegment >= 0)
            Rollback();
        var header = Reserve(6);
        header[0] = TypeString;
        header[1] = TypeString;
        BinaryPrimitives.WriteInt32BigEndian(header[2..], 0); // the pair count, set by EndRow
        _rowSegment = _segments.Count - 1;
        _rowOffset = _segments[^1].Length;
        _rowStartBytes = _bytes;
        _rowPairs = 0;
        Advance(6);
    }

    /// <summary>Adds a column and its value to the open row.</summary>
    public void Add(string column, string value)
    {
        RequireOpenRow();
        WriteString(column);
        WriteString(value ?? "");
        _rowPairs++;
    }

    /// <summary>Adds a column and its value, both already UTF-8, to the open row.</summary>
    public void Add(ReadOnlySpan<byte> columnUtf8, ReadOnlySpan<byte> valueUtf8)
    {
        RequireOpenRow();
        WriteUtf8(columnUtf8);
        WriteUtf8(valueUtf8);
        _rowPairs++;
    }

    /// <summary>Adds a column and an integer in plain invariant decimal (what osqueryd parses, see <see cref="RowValues"/>).</summary>
    public void Add(ReadOnlySpan<byte> columnUtf8, long value)
    {
        RequireOpenRow();
        WriteUtf8(columnUtf8);
        var span = Reserve(4 + 20);
        value.TryFormat(span[4..], out var written, default, CultureInfo.InvariantCulture);
        BinaryPrimitives.WriteInt32BigEndian(span, written);
        Advance(4 + written);
        _rowPairs++;
    }

    /// <summary>
    /// Completes the open row. Returns false, and removes the row, when it would take the result past
    /// <see cref="MaxBytes"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No row is open.</exception>
    public bool EndRow()
    {
        RequireOpenRow();
        if (_bytes > MaxBytes)
        {
            Rollback();
            Refused++;
            return false;
        }
        BinaryPrimitives.WriteInt32BigEndian(_segments[_rowSegment].Bytes.AsSpan(_rowOffset + 2), _rowPairs);
        _rowSegment = -1;
        Count++;
        return true;
    }

    /// <summary>Adds one row of column names and values; false when it did not fit.</summary>
    public bool Add(IEnumerable<KeyValuePair<string, string>> row)
    {
        ArgumentNullException.ThrowIfNull(row);
        BeginRow();
        foreach (var (column, value) in row)
            Add(column, value);
        return EndRow();
    }

    /// <summary>Removes every row (a failed generate answers with none) and gives the memory back.</summary>
    public void Clear()
    {
        foreach (var segment in _segments)
            SegmentPool.Return(segment.Bytes);
        _segments.Clear();
        _rowSegment = -1;
        _bytes = 0;
        Count = 0;
    }

    /// <summary>The encoded rows, in order (for the reply writer).</summary>
    internal IEnumerable<ArraySegment<byte>> Encoded()
    {
        if (_rowSegment >= 0)
            Rollback();
        foreach (var segment in _segments)
        {
            if (segment.Length > 0)
                yield return new ArraySegment<byte>(segment.Bytes, 0, segment.Length);
        }
    }

    /// <summary>Decodes the complete rows again (tests and benchmarks; the server never needs this).</summary>
    internal List<Dictionary<string, string>> ToDictionaries()
    {
        var bytes = Encoded().SelectMany(segment => segment).ToArray();
        var rows = new List<Dictionary<string, string>>(Count);
        var at = 0;
        for (var i = 0; i < Count; i++)
        {
            var pairs = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at + 2));
            at += 6;
            var row = new Dictionary<string, string>(pairs, StringComparer.Ordinal);
            for (var p = 0; p < pairs; p++)
            {
                var key = ReadString(bytes, ref at);
                row[key] = ReadString(bytes, ref at);
            }
            rows.Add(row);
        }
        return rows;

        static string ReadString(byte[] bytes, ref int at)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            var text = Encoding.UTF8.GetString(bytes, at + 4, length);
            at += 4 + length;
            return text;
        }
    }

    private void RequireOpenRow()
    {
        if (_rowSegment < 0)
            throw new InvalidOperationException("Values can only be added between BeginRow and EndRow.");
    }

    private void Rollback()
    {
        for (var i = _rowSegment + 1; i < _segments.Count; i++)
            SegmentPool.Return(_segments[i].Bytes);
        _segments.RemoveRange(_rowSegment + 1, _segments.Count - _rowSegment - 1);
        _segments[_rowSegment].Length = _rowOffset;
        _bytes = _rowStartBytes;
        _rowSegment = -1;
    }

    private void WriteString(string value)
    {
        if (value.Length < 128 && Ascii.IsValid(value))
        {
            var ascii = Reserve(4 + value.Length);
            BinaryPrimitives.WriteInt32BigEndian(ascii, value.Length);
            Encoding.ASCII.GetBytes(value, ascii[4..]);
            Advance(4 + value.Length);
            return;
        }
        var span = Reserve(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var written = Encoding.UTF8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteInt32BigEndian(span, written);
        Advance(4 + written);
    }

    private void WriteUtf8(ReadOnlySpan<byte> utf8)
    {
        var span = Reserve(4 + utf8.Length);
        BinaryPrimitives.WriteInt32BigEndian(span, utf8.Length);
        utf8.CopyTo(span[4..]);
        Advance(4 + utf8.Length);
    }

    /// <summary>A writable span of at least <paramref name="size"/> contiguous bytes at the end of the rows.</summary>
    private Span<byte> Reserve(int size)
    {
        if (_segments.Count > 0)
        {
            var last = _segments[^1];
            if (last.Bytes.Length - last.Length >= size)
                return last.Bytes.AsSpan(last.Length);
        }
        var segment = new Segment(_segments.Count == 0 && size <= FirstSegmentBytes
            ? new byte[FirstSegmentBytes]
            : SegmentPool.Rent(size));
        _segments.Add(segment);
        return segment.Bytes;
    }

    private void Advance(int count)
    {
        _segments[^1].Length += count;
        _bytes += count;
    }

    /// <summary>
    /// The 256 KiB segments of large results, kept for the next generate instead of left to the GC: a burst of
    /// large generates then reuses the memory of the previous ones (so the peak is what the running generates hold,
    /// not what the GC has not collected yet), and <see cref="Trim"/> gives it all back once things are quiet.
    /// </summary>
    internal static class SegmentPool
    {
        public const int SegmentBytes = 256 * 1024;
        private const long MaxPooledBytes = 128L * 1024 * 1024; // two replies at the default cap
        private static readonly System.Collections.Concurrent.ConcurrentBag<byte[]> Free = [];
        private static long _pooledBytes;

        /// <summary>Bytes held for reuse now.</summary>
        public static long PooledBytes => Interlocked.Read(ref _pooledBytes);

        public static byte[] Rent(int size)
        {
            if (size <= SegmentBytes && Free.TryTake(out var segment))
            {
                Interlocked.Add(ref _pooledBytes, -segment.Length);
                return segment;
            }
            return GC.AllocateUninitializedArray<byte>(Math.Max(size, SegmentBytes));
        }

        public static void Return(byte[] segment)
        {
            if (segment.Length != SegmentBytes || Interlocked.Read(ref _pooledBytes) >= MaxPooledBytes)
                return; // first segments, oversized ones and the overflow go to the GC
            Interlocked.Add(ref _pooledBytes, segment.Length);
            Free.Add(segment);
        }

        /// <summary>Drops every pooled segment (the caller then collects).</summary>
        public static void Trim()
        {
            while (Free.TryTake(out var segment))
                Interlocked.Add(ref _pooledBytes, -segment.Length);
        }
    }

    private sealed class Segment(byte[] bytes)
    {
        public byte[] Bytes { get; } = bytes;

        public int Length { get; set; }
    }
}
