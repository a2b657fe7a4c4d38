using System.Buffers.Binary;
using System.Text;

namespace OsqueryBpf.OsquerydDouble.Codec;

/// <summary>Writes the Thrift binary protocol (big-endian, strict message header) into a memory buffer.</summary>
public sealed class ThriftWriter
{
    private readonly MemoryStream _buffer = new();
    private readonly byte[] _scratch = new byte[8];

    public byte[] ToArray() => _buffer.ToArray();

    public ArraySegment<byte> Written => new(_buffer.GetBuffer(), 0, (int)_buffer.Length);

    public void Clear() => _buffer.SetLength(0);

    /// <summary>Strict header: i32 (0x80010000 | type), name, seqid.</summary>
    public void MessageBegin(string name, MessageType type, int seqId)
    {
        I32(unchecked((int)(0x80010000u | (uint)type)));
        String(name);
        I32(seqId);
    }

    /// <summary>Old-style header without version: name, type byte, seqid (lax readers accept it).</summary>
    public void MessageBeginNonStrict(string name, MessageType type, int seqId)
    {
        String(name);
        Byte((byte)type);
        I32(seqId);
    }

    public void FieldBegin(TType type, short id)
    {
        Byte((byte)type);
        I16(id);
    }

    public void FieldStop() => Byte(0);

    public void MapBegin(TType key, TType value, int count)
    {
        Byte((byte)key);
        Byte((byte)value);
        I32(count);
    }

    public void ListBegin(TType element, int count)
    {
        Byte((byte)element);
        I32(count);
    }

    public void Byte(byte value) => _buffer.WriteByte(value);

    public void I16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_scratch, value);
        _buffer.Write(_scratch, 0, 2);
    }

    public void I32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_scratch, value);
        _buffer.Write(_scratch, 0, 4);
    }

    public void I64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_scratch, value);
        _buffer.Write(_scratch, 0, 8);
    }

    public void String(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        I32(bytes.Length);
        _buffer.Write(bytes);
    }

    public void Raw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    /// <summary>map&lt;string,string&gt;.</summary>
    public void StringMap(IReadOnlyDictionary<string, string> map)
    {
        MapBegin(TType.String, TType.String, map.Count);
        foreach (var (k, v) in map)
        {
            String(k);
            String(v);
        }
    }

    /// <summary>list&lt;map&lt;string,string&gt;&gt;.</summary>
    public void Rows(IReadOnlyList<IReadOnlyDictionary<string, string>> rows)
    {
        ListBegin(TType.Map, rows.Count);
        foreach (var row in rows)
            StringMap(row);
    }

    /// <summary>ExtensionStatus {1: i32 code, 2: string message, 3: i64 uuid}.</summary>
    public void Status(int code, string message, long uuid)
    {
        FieldBegin(TType.I32, 1);
        I32(code);
        FieldBegin(TType.String, 2);
        String(message);
        FieldBegin(TType.I64, 3);
        I64(uuid);
        FieldStop();
    }
}
