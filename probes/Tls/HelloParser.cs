using System.Buffers;
using System.Buffers.Binary;

namespace OsqueryBpf.Tls;

/// <summary>
/// Reads a ClientHello or ServerHello handshake message (header included). Every read is checked against two
/// ends: the end its enclosing structure announces (a read past it is <see cref="TlsParseError.LengthPastEnd"/>)
/// and the bytes present (a read past them, inside the announced end, is <see cref="TlsParseError.Truncated"/>).
/// Lists are sized from their byte lengths, which the bytes present bound, so no count makes it allocate more
/// than the input's size.
/// </summary>
internal ref struct HelloParser
{
    internal readonly record struct Outcome(TlsHelloKind Kind, TlsClientHello? Client, TlsServerHello? Server,
        TlsParseError Error, int ErrorOffset, string? Reason);

    // The random of a HelloRetryRequest: SHA-256("HelloRetryRequest"), RFC 8446 section 4.1.3.
    private static ReadOnlySpan<byte> HelloRetryRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    private readonly ReadOnlySpan<byte> _bytes; // what is present of the message, header included
    private int _position;
    private TlsParseError _error;     // the problem that stopped the parse
    private int _errorOffset;
    private string? _reason;
    private TlsParseError _softError; // the first problem stepped over
    private int _softOffset;
    private string? _softReason;

    private HelloParser(ReadOnlySpan<byte> bytes)
    {
        _bytes = bytes;
        _position = 0;
        _error = TlsParseError.None;
        _errorOffset = -1;
        _softError = TlsParseError.None;
        _softOffset = int.MaxValue;
    }

    /// <summary>
    /// Parses <paramref name="message"/> (what is present of it, starting at its type byte), whose body announces
    /// <paramref name="bodyLength"/> bytes (-1 when even the header is cut).
    /// </summary>
    public static Outcome Parse(ReadOnlySpan<byte> message, int bodyLength)
    {
        var parser = new HelloParser(message);
        var kind = message.IsEmpty ? TlsHelloKind.None : (TlsHelloKind)message[0];
        if (bodyLength < 0)
        {
            parser.Stop(TlsParseError.Truncated, message.Length, $"The bytes end at hello byte {message.Length}, inside the hello's 4-byte header.");
            return parser.Result(kind, kind == TlsHelloKind.ClientHello ? new TlsClientHello() : null, kind == TlsHelloKind.ServerHello ? new TlsServerHello() : null);
        }
        parser._position = TlsRecordLayer.HandshakeHeaderLength;
        int end = TlsRecordLayer.HandshakeHeaderLength + bodyLength;
        if (kind == TlsHelloKind.ClientHello)
        {
            var hello = new TlsClientHello();
            parser.ReadClientHello(hello, end);
            return parser.Result(kind, hello, null);
        }
        var server = new TlsServerHello();
        parser.ReadServerHello(server, end);
        return parser.Result(kind, null, server);
    }

    private readonly Outcome Result(TlsHelloKind kind, TlsClientHello? client, TlsServerHello? server) =>
        _error != TlsParseError.None
            ? new Outcome(kind, client, server, _error, _errorOffset, _reason)
            : new Outcome(kind, client, server, _softError, _softError == TlsParseError.None ? -1 : _softOffset, _softReason);

    private void ReadClientHello(TlsClientHello hello, int end)
    {
        const string what = "the ClientHello";
        if (!Need(2, end, "legacy_version", what))
            return;
        hello.LegacyVersion = U16();
        if (!Need(32, end, "the random", what))
            return;
        hello.Random = Take(32).ToArray();
        if (!ReadSessionId(end, what, out var sessionId))
            return;
        hello.SessionId = sessionId;

        if (!Need(2, end, "the cipher suites length", what))
            return;
        int suitesAt = _position;
        int suitesLength = U16();
        if (!Need(suitesLength, end, "the cipher suites", what))
            return;
        if (suitesLength == 0 || suitesLength % 2 != 0)
            Soft(TlsParseError.BadLength, suitesAt, $"The cipher suite list at hello byte {suitesAt} is {suitesLength} bytes; it must be a non-zero even number.");
        hello.CipherSuites = U16List(Take(suitesLength));

        if (!Need(1, end, "the compression methods length", what))
            return;
        int compressionAt = _position;
        int compressionLength = _bytes[_position++];
        if (!Need(compressionLength, end, "the compression methods", what))
            return;
        if (compressionLength == 0)
            Soft(TlsParseError.BadLength, compressionAt, $"The compression method list at hello byte {compressionAt} is empty; it must hold at least null (0).");
        hello.CompressionMethods = Take(compressionLength).ToArray();

        hello.Extensions = ReadExtensions(end, what, hello, null);
    }

    private void ReadServerHello(TlsServerHello hello, int end)
    {
        const string what = "the ServerHello";
        if (!Need(2, end, "legacy_version", what))
            return;
        hello.LegacyVersion = U16();
        if (!Need(32, end, "the random", what))
            return;
        var random = Take(32);
        hello.Random = random.ToArray();
        hello.IsHelloRetryRequest = random.SequenceEqual(HelloRetryRandom);
        if (!ReadSessionId(end, what, out var sessionId))
            return;
        hello.SessionId = sessionId;
        if (!Need(2, end, "the cipher suite", what))
            return;
        hello.CipherSuite = U16();
        if (!Need(1, end, "the compression method", what))
            return;
        hello.CompressionMethod = _bytes[_position++];
        hello.Extensions = ReadExtensions(end, what, null, hello);
    }

    private bool ReadSessionId(int end, string what, out byte[] sessionId)
    {
        sessionId = [];
        if (!Need(1, end, "the session id length", what))
            return false;
        int at = _position;
        int length = _bytes[_position++];
        if (!Need(length, end, "the session id", what))
            return false;
        if (length > 32)
            Soft(TlsParseError.BadLength, at, $"The session id at hello byte {at} is {length} bytes; at most 32 are allowed.");
        sessionId = Take(length).ToArray();
        return true;
    }

    /// <summary>Reads the extensions block (absent when the hello ends after the compression methods).</summary>
    private ushort[] ReadExtensions(int end, string what, TlsClientHello? client, TlsServerHello? server)
    {
        if (_position == end)
            return [];
        if (!Need(2, end, "the extensions length", what))
            return [];
        int blockAt = _position;
        int blockLength = U16();
        int blockEnd = _position + blockLength;
        if (blockEnd > end)
        {
            Stop(TlsParseError.LengthPastEnd, blockAt,
                $"The extensions block at hello byte {blockAt} announces {blockLength} bytes, past the end of {what} at hello byte {end}.");
            return [];
        }
        if (blockEnd < end)
            Soft(TlsParseError.BadLength, blockEnd, $"{Capitalized(what)} has {end - blockEnd} bytes after its extensions block, which ends at hello byte {blockEnd}.");

        // At most one extension per 4 bytes: the list never outgrows the input.
        int most = Math.Max(0, Math.Min(blockLength, _bytes.Length - _position) / 4);
        ushort[]? types = most == 0 ? null : ArrayPool<ushort>.Shared.Rent(most);
        int[]? offsets = most == 0 ? null : ArrayPool<int>.Shared.Rent(most);
        int count = 0;
        try
        {
            while (_position < blockEnd)
            {
                if (!Need(4, blockEnd, "an extension header", "the extensions block"))
                    break;
                int at = _position;
                ushort type = U16();
                int length = U16();
                if (_position + length > Math.Min(blockEnd, _bytes.Length))
                {
                    Need(length, blockEnd, $"the content of extension {type}", "the extensions block");
                    break;
                }
                var content = Take(length);
                types![count] = type;
                offsets![count] = at;
                count++;
                if (client is not null)
                    ClientExtension(client, type, content, at);
                else
                    ServerExtension(server!, type, content, at);
            }
            if (count == 0)
                return [];
            FindDuplicate(types.AsSpan(0, count), offsets.AsSpan(0, count));
            return types.AsSpan(0, count).ToArray();
        }
        finally
        {
            if (types is not null)
                ArrayPool<ushort>.Shared.Return(types);
            if (offsets is not null)
                ArrayPool<int>.Shared.Return(offsets);
        }
    }

    private void ClientExtension(TlsClientHello hello, ushort type, ReadOnlySpan<byte> content, int at)
    {
        switch (type)
        {
            case TlsNames.ExtensionServerName when hello.ServerName is null:
                ServerName(hello, content, at);
                break;
            case TlsNames.ExtensionAlpn when hello.Alpn.Length == 0 && hello.FirstAlpnLength == 0:
                Alpn(hello, content, at);
                break;
            case TlsNames.ExtensionSupportedVersions when hello.SupportedVersions.Length == 0:
                if (content.Length < 1 || content[0] != content.Length - 1 || content[0] < 2 || content[0] % 2 != 0)
                    BadExtension(type, at, "its version list length disagrees with the extension's or is not a non-zero even number");
                else
                    hello.SupportedVersions = U16List(content[1..]);
                break;
            case TlsNames.ExtensionSignatureAlgorithms when hello.SignatureAlgorithms.Length == 0:
                hello.SignatureAlgorithms = U16Vector(type, content, at);
                break;
            case TlsNames.ExtensionSupportedGroups when hello.SupportedGroups.Length == 0:
                hello.SupportedGroups = U16Vector(type, content, at);
                break;
            case TlsNames.ExtensionEcPointFormats when hello.EcPointFormats.Length == 0:
                if (content.Length < 2 || content[0] != content.Length - 1)
                    BadExtension(type, at, "its format list length disagrees with the extension's or is zero");
                else
                    hello.EcPointFormats = content[1..].ToArray();
                break;
        }
    }

    private void ServerExtension(TlsServerHello hello, ushort type, ReadOnlySpan<byte> content, int at)
    {
        switch (type)
        {
            case TlsNames.ExtensionSupportedVersions when hello.SelectedVersion == 0:
                if (content.Length != 2)
                    BadExtension(type, at, "a ServerHello's supported_versions holds exactly one 2-byte version");
                else
                    hello.SelectedVersion = BinaryPrimitives.ReadUInt16BigEndian(content);
                break;
            case TlsNames.ExtensionAlpn when hello.Alpn is null:
                if (content.Length < 3 || BinaryPrimitives.ReadUInt16BigEndian(content) != content.Length - 2 ||
                    content[2] == 0 || content[2] != content.Length - 3)
                    BadExtension(type, at, "a ServerHello's ALPN holds exactly one non-empty protocol name");
                else
                    hello.Alpn = TlsText.AlpnProtocol(content[3..]);
                break;
        }
    }

    // server_name: ServerNameList<1..2^16-1> of (NameType, opaque HostName<1..2^16-1>), RFC 6066 section 3.
    private void ServerName(TlsClientHello hello, ReadOnlySpan<byte> content, int at)
    {
        const ushort type = TlsNames.ExtensionServerName;
        if (content.Length < 2 || BinaryPrimitives.ReadUInt16BigEndian(content) != content.Length - 2 || content.Length == 2)
        {
            BadExtension(type, at, "its name list length disagrees with the extension's or is zero");
            return;
        }
        var list = content[2..];
        while (!list.IsEmpty)
        {
            if (list.Length < 3 || BinaryPrimitives.ReadUInt16BigEndian(list[1..]) > list.Length - 3)
            {
                BadExtension(type, at, "a name runs past the end of the list");
                return;
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(list[1..]);
            if (length == 0)
            {
                BadExtension(type, at, "a name is empty");
                return;
            }
            if (list[0] == 0 && hello.ServerName is null)
                hello.ServerName = TlsText.HostName(list.Slice(3, length));
            list = list[(3 + length)..];
        }
    }

    // ALPN: ProtocolNameList<2..2^16-1> of opaque ProtocolName<1..2^8-1>, RFC 7301 section 3.1.
    private void Alpn(TlsClientHello hello, ReadOnlySpan<byte> content, int at)
    {
        const ushort type = TlsNames.ExtensionAlpn;
        if (content.Length < 2 || BinaryPrimitives.ReadUInt16BigEndian(content) != content.Length - 2 || content.Length == 2)
        {
            BadExtension(type, at, "its protocol list length disagrees with the extension's or is zero");
            return;
        }
        var list = content[2..];
        if (list[0] > 0 && list[0] < list.Length)
        {
            hello.FirstAlpnLength = list[0];
            hello.FirstAlpnFirst = list[1];
            hello.FirstAlpnLast = list[list[0]];
        }
        // Count the well-formed names first, so the array is allocated once at its size.
        int count = 0;
        var walk = list;
        while (!walk.IsEmpty && walk[0] > 0 && walk[0] < walk.Length)
        {
            count++;
            walk = walk[(1 + walk[0])..];
        }
        if (!walk.IsEmpty)
            BadExtension(type, at, walk[0] == 0 ? "a protocol name is empty" : "a protocol name runs past the end of the list");
        if (count == 0)
            return;
        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            names[i] = TlsText.AlpnProtocol(list.Slice(1, list[0]));
            list = list[(1 + list[0])..];
        }
        hello.Alpn = names;
    }

    // A list of 2-byte values behind a 2-byte length: signature_algorithms, supported_groups.
    private ushort[] U16Vector(ushort type, ReadOnlySpan<byte> content, int at)
    {
        if (content.Length < 4 || BinaryPrimitives.ReadUInt16BigEndian(content) != content.Length - 2 || content.Length % 2 != 0)
        {
            BadExtension(type, at, "its list length disagrees with the extension's or is not a non-zero even number");
            return [];
        }
        return U16List(content[2..]);
    }

    // RFC 8446 section 4.2: no two extensions of the same type. Reports the earliest second occurrence.
    private void FindDuplicate(ReadOnlySpan<ushort> types, ReadOnlySpan<int> offsets)
    {
        if (types.Length < 2)
            return;
        // Sorting (type, offset) pairs puts each type's occurrences together, in wire order.
        var keys = ArrayPool<long>.Shared.Rent(types.Length);
        try
        {
            for (int i = 0; i < types.Length; i++)
                keys[i] = ((long)types[i] << 32) | (uint)offsets[i];
            Array.Sort(keys, 0, types.Length);
            long second = long.MaxValue;
            for (int i = 1; i < types.Length; i++)
            {
                if (keys[i] >> 32 == keys[i - 1] >> 32 && (uint)keys[i] < (uint)second)
                    second = keys[i];
            }
            if (second != long.MaxValue)
                Soft(TlsParseError.DuplicateExtension, (int)(uint)second,
                    $"Extension {second >> 32} at hello byte {(uint)second} appears a second time.");
        }
        finally
        {
            ArrayPool<long>.Shared.Return(keys);
        }
    }

    /// <summary>
    /// Checks that <paramref name="count"/> bytes of <paramref name="field"/> fit before <paramref name="end"/> (the
    /// end of <paramref name="container"/>) and are present; otherwise records why the parse stops.
    /// </summary>
    private bool Need(int count, int end, string field, string container)
    {
        if (_position + count > end)
        {
            Stop(TlsParseError.LengthPastEnd, _position,
                $"{Capitalized(field)} ({count} bytes at hello byte {_position}) runs past the end of {container} at hello byte {end}.");
            return false;
        }
        if (_position + count > _bytes.Length)
        {
            Stop(TlsParseError.Truncated, _bytes.Length,
                $"The bytes end at hello byte {_bytes.Length}, inside {field} ({count} bytes at hello byte {_position}).");
            return false;
        }
        return true;
    }

    private void Stop(TlsParseError error, int offset, string reason)
    {
        if (_error != TlsParseError.None)
            return;
        _error = error;
        _errorOffset = offset;
        _reason = reason;
    }

    private void Soft(TlsParseError error, int offset, string reason)
    {
        if (offset >= _softOffset)
            return;
        _softError = error;
        _softOffset = offset;
        _softReason = reason;
    }

    private void BadExtension(ushort type, int at, string why) =>
        Soft(TlsParseError.BadExtension, at, $"Extension {type} at hello byte {at} is malformed: {why}.");

    private ushort U16()
    {
        var value = BinaryPrimitives.ReadUInt16BigEndian(_bytes[_position..]);
        _position += 2;
        return value;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        var span = _bytes.Slice(_position, count);
        _position += count;
        return span;
    }

    private static ushort[] U16List(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 2)
            return [];
        var values = new ushort[bytes.Length / 2];
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadUInt16BigEndian(bytes[(2 * i)..]);
        return values;
    }

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
