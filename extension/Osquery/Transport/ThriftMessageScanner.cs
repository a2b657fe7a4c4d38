using System.Buffers.Binary;
using Thrift.Protocol;

namespace OsqueryBpf.Osquery.Transport;

/// <summary>
/// Finds where one binary-protocol Thrift message ends, without decoding it and without allocating anything for
/// the sizes it declares. The server reads a whole request into its own buffer before Thrift sees it, so a peer
/// that declares a 15 MiB string and then sends it one byte at a time costs only the bytes it really sent, and a
/// request can be given one deadline as a whole. The scan is resumable: each call continues where the previous
/// one stopped, so a message that arrives in many pieces is walked once, not once per piece.
/// </summary>
/// <remarks>
/// Accepts what Thrift's lax reader accepts (osquery-protocol.md 1.4): the strict header (version word, name,
/// seqid) and the old one (name, type byte, seqid), then one struct. Sizes are checked against the message limit
/// as soon as they are declared, nesting against the recursion limit.
/// </remarks>
internal sealed class ThriftMessageScanner
{
    private const uint VersionMask = 0xffff0000;
    private const uint Version1 = 0x80010000;

    private readonly int _maxMessageBytes;
    private readonly Frame[] _stack;
    private Stage _stage;
    private int _position; // bytes of the message accepted so far
    private int _depth;
    private byte _pendingType; // a value whose header was consumed but whose bytes have not all arrived (0: none)
    private int _nameLength; // of the message name, while the header is read

    public ThriftMessageScanner(int maxMessageBytes, int maxDepth)
    {
        _maxMessageBytes = maxMessageBytes;
        _stack = new Frame[maxDepth];
    }

    /// <summary>Bytes of the current message accepted so far.</summary>
    public int Position => _position;

    /// <summary>Forgets the current message; the next scan starts a new one at offset 0.</summary>
    public void Reset()
    {
        _stage = Stage.Start;
        _position = 0;
        _depth = 0;
        _pendingType = 0;
    }

    /// <summary>
    /// Continues the scan over <paramref name="received"/>, which holds the message from its first byte (and maybe
    /// bytes of the next one). Returns true with the message's length once it is complete.
    /// </summary>
    /// <exception cref="TProtocolException">The bytes are not a Thrift message or break a limit.</exception>
    public bool TryScan(ReadOnlySpan<byte> received, out int messageLength)
    {
        messageLength = 0;
        while (true)
        {
            switch (_stage)
            {
                case Stage.Start:
                    if (!Take(received, 4, out var first))
                        return false;
                    var word = BinaryPrimitives.ReadInt32BigEndian(first);
                    if (word < 0)
                    {
                        if (((uint)word & VersionMask) != Version1)
                            throw new TProtocolException(TProtocolException.BAD_VERSION, $"Bad Thrift version word 0x{(uint)word:x8}.");
                        _stage = Stage.StrictNameLength;
                    }
                    else
                    {
                        // The old header: the word is the name's length, then the name, a type byte and the seqid.
                        CheckSize(word, "message name");
                        _nameLength = word;
                        _stage = Stage.OldName;
                    }
                    break;
                case Stage.StrictNameLength:
                    if (!Take(received, 4, out var length))
                        return false;
                    var nameLength = BinaryPrimitives.ReadInt32BigEndian(length);
                    CheckSize(nameLength, "message name");
                    _nameLength = nameLength;
                    _stage = Stage.StrictName;
                    break;
                case Stage.StrictName:
                    if (!Take(received, _nameLength, out _))
                        return false;
                    _stage = Stage.SeqId;
                    break;
                case Stage.OldName:
                    if (!Take(received, _nameLength + 1, out _)) // the name, then the message type byte
                        return false;
                    _stage = Stage.SeqId;
                    break;
                case Stage.SeqId:
                    if (!Take(received, 4, out _))
                        return false;
                    _stack[0] = new Frame(FrameKind.Struct, 0);
                    _depth = 1;
                    _stage = Stage.Body;
                    break;
                case Stage.Body:
                    if (!ScanBody(received))
                        return false;
                    messageLength = _position;
                    _stage = Stage.Done;
                    return true;
                default: // Done: the caller must Reset before scanning the next message
                    messageLength = _position;
                    return true;
            }
        }
    }

    private bool ScanBody(ReadOnlySpan<byte> received)
    {
        while (_depth > 0)
        {
            if (_pendingType != 0)
            {
                if (!TakeValue(received, _pendingType))
                    return false;
                _pendingType = 0;
                continue;
            }
            ref var top = ref _stack[_depth - 1];
            switch (top.Kind)
            {
                case FrameKind.Struct:
                    if (!Peek(received, 1, out var fieldType))
                        return false;
                    if (fieldType[0] == 0) // STOP
                    {
                        _position++;
                        _depth--;
                        break;
                    }
                    var type = fieldType[0];
                    CheckType(type);
                    if (!Take(received, 3, out _)) // type byte and field id
                        return false;
                    _pendingType = type;
                    break;
                case FrameKind.List:
                    if (top.Remaining == 0)
                    {
                        _depth--;
                        break;
                    }
                    top.Remaining--;
                    _pendingType = top.KeyType;
                    break;
                case FrameKind.Map:
                    if (top.Remaining == 0)
                    {
                        _depth--;
                        break;
                    }
                    // Remaining counts keys and values; an even count left means a key comes next.
                    _pendingType = (top.Remaining & 1) == 0 ? top.KeyType : top.ValueType;
                    top.Remaining--;
                    break;
            }
        }
        return true;
    }

    /// <summary>Consumes one value of <paramref name="type"/>: all of it for scalars and strings, the header for containers.</summary>
    private bool TakeValue(ReadOnlySpan<byte> received, byte type)
    {
        switch (type)
        {
            case TypeBool or TypeByte:
                return Take(received, 1, out _);
            case TypeI16:
                return Take(received, 2, out _);
            case TypeI32:
                return Take(received, 4, out _);
            case TypeI64 or TypeDouble:
                return Take(received, 8, out _);
            case TypeUuid:
                return Take(received, 16, out _);
            case TypeString:
            {
                if (!Peek(received, 4, out var header))
                    return false;
                var length = BinaryPrimitives.ReadInt32BigEndian(header);
                CheckSize(length, "string");
                return Take(received, 4 + length, out _);
            }
            case TypeStruct:
                Push(new Frame(FrameKind.Struct, 0));
                return true;
            case TypeMap:
            {
                if (!Peek(received, 6, out var header))
                    return false;
                var count = BinaryPrimitives.ReadInt32BigEndian(header[2..]);
                CheckCount(count, header[0], header[1]);
                _position += 6;
                Push(new Frame(FrameKind.Map, 2L * count, header[0], header[1]));
                return true;
            }
            default: // TypeSet or TypeList: CheckType let nothing else through
            {
                if (!Peek(received, 5, out var header))
                    return false;
                var count = BinaryPrimitives.ReadInt32BigEndian(header[1..]);
                CheckCount(count, header[0], header[0]);
                _position += 5;
                Push(new Frame(FrameKind.List, count, header[0]));
                return true;
            }
        }
    }

    private void Push(Frame frame)
    {
        if (_depth == _stack.Length)
            throw new TProtocolException(TProtocolException.DEPTH_LIMIT, $"The message nests deeper than {_stack.Length} levels.");
        _stack[_depth++] = frame;
    }

    private void CheckSize(int size, string what)
    {
        if (size < 0)
            throw new TProtocolException(TProtocolException.NEGATIVE_SIZE, $"A {what} declares a negative size ({size}).");
        if ((long)_position + size > _maxMessageBytes)
            throw new TProtocolException(TProtocolException.SIZE_LIMIT,
                $"A {what} of {size} bytes would make the message larger than {_maxMessageBytes} bytes.");
    }

    private void CheckCount(int count, byte keyType, byte valueType)
    {
        if (count < 0)
            throw new TProtocolException(TProtocolException.NEGATIVE_SIZE, $"A container declares a negative size ({count}).");
        if (count == 0)
            return; // writers put any types on an empty container
        CheckType(keyType);
        CheckType(valueType);
        // Every element takes at least one byte on the wire; refuse counts that cannot fit before waiting for them.
        if ((long)_position + (long)count * (MinimumSize(keyType) + (keyType == valueType ? 0 : MinimumSize(valueType))) > _maxMessageBytes)
            throw new TProtocolException(TProtocolException.SIZE_LIMIT,
                $"A container of {count} elements would make the message larger than {_maxMessageBytes} bytes.");
    }

    private static int MinimumSize(byte type) => type switch
    {
        TypeI16 => 2,
        TypeI32 or TypeString or TypeList or TypeSet => 4,
        TypeI64 or TypeDouble => 8,
        TypeMap => 6,
        TypeUuid => 16,
        _ => 1, // bool, byte, struct (its STOP byte)
    };

    private static void CheckType(byte type)
    {
        if (type is not (TypeBool or TypeByte or TypeDouble or TypeI16 or TypeI32 or TypeI64 or TypeString or TypeStruct
            or TypeMap or TypeSet or TypeList or TypeUuid))
            throw new TProtocolException(TProtocolException.INVALID_DATA, $"Unknown Thrift type {type}.");
    }

    /// <summary>True, with the next <paramref name="count"/> bytes, when they have arrived; does not consume them.</summary>
    private bool Peek(ReadOnlySpan<byte> received, int count, out ReadOnlySpan<byte> bytes)
    {
        if ((long)_position + count > _maxMessageBytes)
            throw new TProtocolException(TProtocolException.SIZE_LIMIT, $"The message is larger than {_maxMessageBytes} bytes.");
        if (received.Length - _position < count)
        {
            bytes = default;
            return false;
        }
        bytes = received.Slice(_position, count);
        return true;
    }

    private bool Take(ReadOnlySpan<byte> received, int count, out ReadOnlySpan<byte> bytes)
    {
        if (!Peek(received, count, out bytes))
            return false;
        _position += count;
        return true;
    }

    // Thrift's wire type codes (TType).
    private const byte TypeBool = 2;
    private const byte TypeByte = 3;
    private const byte TypeDouble = 4;
    private const byte TypeI16 = 6;
    private const byte TypeI32 = 8;
    private const byte TypeI64 = 10;
    private const byte TypeString = 11;
    private const byte TypeStruct = 12;
    private const byte TypeMap = 13;
    private const byte TypeSet = 14;
    private const byte TypeList = 15;
    private const byte TypeUuid = 16;

    private enum Stage : byte
    {
        Start,
        StrictNameLength,
        StrictName,
        OldName,
        SeqId,
        Body,
        Done,
    }

    private enum FrameKind : byte
    {
        Struct,
        List,
        Map,
    }

    /// <summary>One open struct or container; for lists the element type is in KeyType.</summary>
    private struct Frame(FrameKind kind, long remaining, byte keyType = 0, byte valueType = 0)
    {
        public FrameKind Kind = kind;
        public long Remaining = remaining;
        public byte KeyType = keyType;
        public byte ValueType = valueType;
    }
}
