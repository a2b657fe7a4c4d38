using System.Buffers.Binary;
using System.Text;

namespace OsqueryBpf.OsquerydDouble.Codec;

/// <summary>
/// Reads the Thrift binary protocol from a stream with bounds on every declared size, so a hostile or broken
/// peer cannot make the double allocate without limit. Accepts strict and old-style message headers.
/// </summary>
public sealed class ThriftReader
{
    private readonly Stream _stream;
    private readonly long _maxBytes;
    private readonly byte[] _scratch = new byte[8];
    private long _consumed;
    private byte[] _text = new byte[256]; // reused for string bodies

    public ThriftReader(Stream stream, long maxMessageBytes = 512L * 1024 * 1024)
    {
        _stream = stream;
        _maxBytes = maxMessageBytes;
    }

    /// <summary>Starts counting a new message against the limit.</summary>
    public void ResetCount() => _consumed = 0;

    /// <summary>Reads a message header; null when the peer closed the connection before any byte.</summary>
    public ThriftMessage? ReadMessageBeginOrEnd()
    {
        ResetCount();
        var first = _stream.ReadByte();
        if (first < 0)
            return null;
        _consumed++;
        var rest = ReadExact(3);
        var word = (first << 24) | (rest[0] << 16) | (rest[1] << 8) | rest[2];
        if (word < 0)
        {
            if ((word & unchecked((int)0xffff0000)) != unchecked((int)0x80010000))
                throw new ThriftProtocolError($"Bad protocol version 0x{word:x8}.");
            var name = ReadString();
            var seq = ReadI32();
            return new ThriftMessage(name, (MessageType)(word & 0xff), seq, true);
        }
        var legacyName = ReadStringBody(word);
        var type = (MessageType)ReadByte();
        return new ThriftMessage(legacyName, type, ReadI32(), false);
    }

    public byte ReadByte() => ReadExact(1)[0];

    public short ReadI16() => BinaryPrimitives.ReadInt16BigEndian(ReadExact(2));

    public int ReadI32() => BinaryPrimitives.ReadInt32BigEndian(ReadExact(4));

    public long ReadI64() => BinaryPrimitives.ReadInt64BigEndian(ReadExact(8));

    public string ReadString() => ReadStringBody(ReadI32());

    /// <summary>Reads past a string without decoding it (for benchmarks that only count rows).</summary>
    public void SkipString()
    {
        var length = ReadI32();
        if (length < 0)
            throw new ThriftProtocolError($"Negative string length {length}.");
        Check(length);
        if (_text.Length < Math.Min(length, 1 << 16))
            _text = new byte[Math.Min(Math.Max(length, _text.Length * 2), 1 << 16)];
        while (length > 0)
        {
            var chunk = Math.Min(length, _text.Length);
            Fill(_text.AsSpan(0, chunk));
            length -= chunk;
        }
    }

    private string ReadStringBody(int length)
    {
        if (length < 0)
            throw new ThriftProtocolError($"Negative string length {length}.");
        Check(length);
        if (_text.Length < length)
            _text = new byte[Math.Max(length, _text.Length * 2)];
        var span = _text.AsSpan(0, length);
        Fill(span);
        return Encoding.UTF8.GetString(span);
    }

    /// <summary>Reads any value of <paramref name="type"/> into the decoded-value classes.</summary>
    public object ReadValue(TType type, int depth = 0)
    {
        if (depth > 64)
            throw new ThriftProtocolError("Nesting deeper than 64.");
        switch (type)
        {
            case TType.Bool: return ReadByte() != 0;
            case TType.Byte: return ReadByte();
            case TType.Double: return BitConverter.Int64BitsToDouble(ReadI64());
            case TType.I16: return ReadI16();
            case TType.I32: return ReadI32();
            case TType.I64: return ReadI64();
            case TType.String: return ReadString();
            case TType.Struct: return ReadStruct(depth);
            case TType.Map:
            {
                var map = new ThriftMap((TType)ReadByte(), (TType)ReadByte());
                var count = ReadCount();
                for (var i = 0; i < count; i++)
                {
                    var key = ReadValue(map.KeyType, depth + 1);
                    map.Entries.Add(new(key, ReadValue(map.ValueType, depth + 1)));
                }
                return map;
            }
            case TType.List or TType.Set:
            {
                var list = new ThriftList((TType)ReadByte());
                var count = ReadCount();
                for (var i = 0; i < count; i++)
                    list.Items.Add(ReadValue(list.ElementType, depth + 1));
                return list;
            }
            default:
                throw new ThriftProtocolError($"Unknown type code {(byte)type}.");
        }
    }

    public ThriftStruct ReadStruct(int depth = 0)
    {
        var result = new ThriftStruct();
        while (true)
        {
            var type = (TType)ReadByte();
            if (type == TType.Stop)
                return result;
            var id = ReadI16();
            result.Fields[id] = (type, ReadValue(type, depth + 1));
        }
    }

    private int ReadCount()
    {
        var count = ReadI32();
        if (count < 0)
            throw new ThriftProtocolError($"Negative element count {count}.");
        Check(count); // every element takes at least one byte
        return count;
    }

    private void Check(long bytes)
    {
        if (_consumed + bytes > _maxBytes)
            throw new ThriftProtocolError($"Message larger than {_maxBytes} bytes.");
    }

    private byte[] ReadExact(int count)
    {
        var buffer = count <= _scratch.Length ? _scratch : new byte[count];
        Fill(buffer.AsSpan(0, count));
        return buffer;
    }

    private void Fill(Span<byte> buffer)
    {
        Check(buffer.Length);
        var done = 0;
        while (done < buffer.Length)
        {
            var n = _stream.Read(buffer[done..]);
            if (n == 0)
                throw new EndOfStreamException("The peer closed the connection in the middle of a message.");
            done += n;
        }
        _consumed += buffer.Length;
    }
}
