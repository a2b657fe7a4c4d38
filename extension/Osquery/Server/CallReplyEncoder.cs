using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using OsqueryBpf.Osquery.Thrift;

namespace OsqueryBpf.Osquery.Server;

/// <summary>
/// Encodes the reply to <c>call</c> (an ExtensionResponse) in one synchronous pass into a pooled buffer.
/// The generated Thrift code awaits once per field and string, which dominates the cost of a large
/// generate (hundreds of thousands of strings); this produces the same bytes as the generated writer with
/// strict write: message header, result field 0 { status field 1, response field 2 }.
/// </summary>
internal sealed class CallReplyEncoder : IDisposable
{
    /// <summary>
    /// Buffers up to this size come from and go back to the shared pool. Larger ones (big results) are plain
    /// allocations left to the GC, so a single large query does not keep megabytes pooled in a long-running agent.
    /// </summary>
    private const int PooledLimit = 1024 * 1024;

    private byte[] _buffer;
    private int _length;

    public CallReplyEncoder(int initialCapacity = 64 * 1024) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    /// <summary>The encoded bytes are Buffer[0..Length].</summary>
    public byte[] Buffer => _buffer;

    public int Length => _length;

    /// <summary>Encodes the whole REPLY message for seqid <paramref name="seqId"/>.</summary>
    public void Encode(int seqId, ExtensionResponse response)
    {
        _length = 0;
        WriteI32(unchecked((int)0x80010002)); // strict version word | REPLY
        WriteString("call");
        WriteI32(seqId);

        FieldBegin(12, 0); // call_result.success : ExtensionResponse
        var status = response.Status ?? new ExtensionStatus();
        FieldBegin(12, 1); // ExtensionResponse.status
        FieldBegin(8, 1);
        WriteI32(status.Code);
        FieldBegin(11, 2);
        WriteString(status.Message ?? "");
        FieldBegin(10, 3);
        WriteI64(status.Uuid);
        WriteByte(0);

        var rows = response.Response ?? [];
        FieldBegin(15, 2); // ExtensionResponse.response : list<map<string,string>>
        WriteByte(13);
        WriteI32(rows.Count);
        foreach (var row in rows)
        {
            WriteByte(11);
            WriteByte(11);
            WriteI32(row.Count);
            foreach (var (key, value) in row)
            {
                WriteString(key);
                WriteString(value ?? "");
            }
        }
        WriteByte(0); // end of ExtensionResponse
        WriteByte(0); // end of call_result
    }

    private void FieldBegin(byte type, short id)
    {
        Ensure(3);
        _buffer[_length] = type;
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length + 1), id);
        _length += 3;
    }

    private void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    private void WriteI32(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    private void WriteI64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    private void WriteString(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Ensure(4 + max);
        var written = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 4));
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), written);
        _length += 4 + written;
    }

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length)
            return;
        var size = (int)Math.Min(Array.MaxLength, Math.Max((long)_buffer.Length * 2, (long)_length + more));
        var bigger = size <= PooledLimit ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        Release(_buffer);
        _buffer = bigger;
    }

    private static void Release(byte[] buffer)
    {
        if (buffer.Length is > 0 and <= PooledLimit)
            ArrayPool<byte>.Shared.Return(buffer);
    }

    public void Dispose()
    {
        Release(_buffer);
        _buffer = [];
    }
}
