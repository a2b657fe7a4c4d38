using static OsqueryBpf.Dns.DnsNames.Types;

namespace OsqueryBpf.Dns;

// Record data in presentation form. Each TryX appends to the buffer and returns null, or returns a sentence
// saying what is wrong; the caller then reports bad record data and falls back to the RFC 3597 form, which
// can represent any bytes.
internal ref partial struct MessageParser
{
    private string FormatData(ushort type, int start, int end, string section, int index)
    {
        if (start == end)
            return @"\# 0"; // empty data is legitimate (dynamic update) and has no other form

        // Pooled rather than on the stack: the Try methods below are members of this mutable ref struct, and
        // the compiler cannot prove they would not keep a stack span.
        var text = new CharBuffer(256);
        try
        {
            var problem = type switch
            {
                A => TryAddress(ref text, start, end, 4),
                AAAA => TryAddress(ref text, start, end, 16),
                NS or CNAME or PTR or DNAME => TryNames(ref text, start, end, 1),
                MX => TryPreferenceAndName(ref text, start, end),
                SOA => TrySoa(ref text, start, end),
                SRV => TrySrv(ref text, start, end),
                TXT => TryStrings(ref text, start, end),
                SVCB or HTTPS => TrySvcb(ref text, start, end),
                CAA => TryCaa(ref text, start, end),
                _ => Generic(ref text, start, end),
            };
            if (problem is null)
                return text.ToString();

            Fail(DnsParseError.BadRecordData, start,
                $"The data of {section} record {index} ({DnsNames.TypeName(type)}, {end - start} bytes at byte {start}) is malformed. {problem}");
            text.Truncate(0);
            Generic(ref text, start, end);
            return text.ToString();
        }
        finally
        {
            text.Dispose();
        }
    }

    /// <summary>RFC 3597: <c>\# length hex</c>, the hex as one lowercase word.</summary>
    private readonly string? Generic(scoped ref CharBuffer text, int start, int end)
    {
        text.Append(@"\# ");
        text.Append((uint)(end - start));
        if (end > start)
        {
            text.Append(' ');
            text.AppendHex(_msg[start..end]);
        }
        return null;
    }

    private readonly string? TryAddress(scoped ref CharBuffer text, int start, int end, int size)
    {
        if (end - start != size)
            return $"An address record needs exactly {size} bytes of data.";
        if (size == 4)
            DnsText.AppendIPv4(ref text, _msg.Slice(start, 4));
        else
            DnsText.AppendIPv6(ref text, _msg.Slice(start, 16));
        return null;
    }

    /// <summary>One or more names that must fill the data exactly.</summary>
    private string? TryNames(scoped ref CharBuffer text, int p, int end, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
                text.Append(' ');
            if (!TryReadName(ref p, end, out var name))
                return _nameErrorReason;
            text.Append(name);
        }
        return p == end ? null : TrailingData(end - p);
    }

    private string? TryPreferenceAndName(scoped ref CharBuffer text, int p, int end)
    {
        if (end - p < 3)
            return "An MX record needs a 2-byte preference and a name.";
        text.Append(ReadU16(p));
        text.Append(' ');
        return TryNames(ref text, p + 2, end, 1);
    }

    private string? TrySoa(scoped ref CharBuffer text, int p, int end)
    {
        if (!TryReadName(ref p, end, out var mname))
            return _nameErrorReason;
        if (!TryReadName(ref p, end, out var rname))
            return _nameErrorReason;
        if (end - p != 20)
            return $"An SOA record needs 20 bytes of serial and timers after its names, not {end - p}.";
        text.Append(mname);
        text.Append(' ');
        text.Append(rname);
        for (var i = 0; i < 5; i++)
        {
            text.Append(' ');
            text.Append(ReadU32(p + 4 * i));
        }
        return null;
    }

    private string? TrySrv(scoped ref CharBuffer text, int p, int end)
    {
        if (end - p < 7)
            return "An SRV record needs priority, weight and port (6 bytes) and a name.";
        for (var i = 0; i < 3; i++)
        {
            text.Append(ReadU16(p + 2 * i));
            text.Append(' ');
        }
        return TryNames(ref text, p + 6, end, 1);
    }

    /// <summary>TXT: one or more character strings, each quoted, separated by spaces.</summary>
    private readonly string? TryStrings(scoped ref CharBuffer text, int p, int end)
    {
        var first = true;
        while (p < end)
        {
            var length = _msg[p];
            if (p + 1 + length > end)
                return $"A character string at byte {p} claims {length} bytes, more than the data has left.";
            if (!first)
                text.Append(' ');
            DnsText.AppendQuoted(ref text, _msg.Slice(p + 1, length));
            first = false;
            p += 1 + length;
        }
        return null;
    }

    /// <summary>CAA (RFC 8659): <c>flags tag "value"</c>.</summary>
    private readonly string? TryCaa(scoped ref CharBuffer text, int p, int end)
    {
        if (end - p < 2)
            return "A CAA record needs a flags byte and a tag length.";
        var tagLength = _msg[p + 1];
        if (tagLength == 0 || p + 2 + tagLength > end)
            return $"A CAA record's tag length ({tagLength}) must be at least 1 and fit in the data.";
        text.Append(_msg[p]);
        text.Append(' ');
        DnsText.AppendStringContent(ref text, _msg.Slice(p + 2, tagLength));
        text.Append(' ');
        DnsText.AppendQuoted(ref text, _msg[(p + 2 + tagLength)..end]);
        return null;
    }

    /// <summary>
    /// SVCB and HTTPS (RFC 9460): <c>priority target key=value ...</c> with the RFC's key names, lists
    /// comma-separated, alpn and dohpath quoted, ech in base64, unknown keys as <c>keyNNNNN="value"</c>.
    /// </summary>
    private string? TrySvcb(scoped ref CharBuffer text, int p, int end)
    {
        if (end - p < 3)
            return "An SVCB or HTTPS record needs a 2-byte priority and a target name.";
        text.Append(ReadU16(p));
        text.Append(' ');
        p += 2;
        if (!TryReadName(ref p, end, out var target))
            return _nameErrorReason;
        text.Append(target);
        while (p < end)
        {
            if (end - p < 4)
                return $"A service parameter at byte {p} has no room for its key and length.";
            var key = ReadU16(p);
            var length = ReadU16(p + 2);
            var value = p + 4;
            if (value + length > end)
                return $"Service parameter {SvcKeyName(key)} at byte {p} claims {length} bytes, more than the data has left.";
            text.Append(' ');
            var problem = AppendSvcParam(ref text, key, _msg.Slice(value, length));
            if (problem is not null)
                return problem;
            p = value + length;
        }
        return null;
    }

    private static string SvcKeyName(ushort key) => key switch
    {
        0 => "mandatory",
        1 => "alpn",
        2 => "no-default-alpn",
        3 => "port",
        4 => "ipv4hint",
        5 => "ech",
        6 => "ipv6hint",
        7 => "dohpath",
        8 => "ohttp",
        _ => "key" + key.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string? AppendSvcParam(scoped ref CharBuffer text, ushort key, ReadOnlySpan<byte> value)
    {
        var name = SvcKeyName(key);
        text.Append(name);
        switch (key)
        {
            case 0: // mandatory: a list of keys
                if (value.Length == 0 || value.Length % 2 != 0)
                    return $"The mandatory parameter's length ({value.Length}) must be a positive multiple of 2.";
                text.Append('=');
                for (var i = 0; i < value.Length; i += 2)
                {
                    if (i > 0)
                        text.Append(',');
                    text.Append(SvcKeyName((ushort)(value[i] << 8 | value[i + 1])));
                }
                return null;

            case 1: // alpn: length-prefixed protocol ids
                if (value.Length == 0)
                    return "The alpn parameter is empty.";
                text.Append("=\"");
                for (var i = 0; i < value.Length;)
                {
                    var idLength = value[i];
                    if (idLength == 0 || i + 1 + idLength > value.Length)
                        return $"An alpn id's length ({idLength}) must be at least 1 and fit in the parameter.";
                    if (i > 0)
                        text.Append(',');
                    DnsText.AppendStringContent(ref text, value.Slice(i + 1, idLength), listItem: true);
                    i += 1 + idLength;
                }
                text.Append('"');
                return null;

            case 2 or 8: // no-default-alpn, ohttp: flags without a value
                return value.Length == 0 ? null : $"The {name} parameter must be empty, not {value.Length} bytes.";

            case 3:
                if (value.Length != 2)
                    return $"The port parameter must be 2 bytes, not {value.Length}.";
                text.Append('=');
                text.Append((uint)(value[0] << 8 | value[1]));
                return null;

            case 4 or 6: // ipv4hint, ipv6hint
                var size = key == 4 ? 4 : 16;
                if (value.Length == 0 || value.Length % size != 0)
                    return $"The {name} parameter's length ({value.Length}) must be a positive multiple of {size}.";
                text.Append('=');
                for (var i = 0; i < value.Length; i += size)
                {
                    if (i > 0)
                        text.Append(',');
                    if (size == 4)
                        DnsText.AppendIPv4(ref text, value.Slice(i, 4));
                    else
                        DnsText.AppendIPv6(ref text, value.Slice(i, 16));
                }
                return null;

            case 5: // ech: an ECHConfigList, shown in base64 as RFC 9460 presents it
                text.Append('=');
                text.AppendBase64(value);
                return null;

            default: // dohpath and unknown keys: the value as a quoted string
                if (value.Length > 0)
                {
                    text.Append("=\"");
                    DnsText.AppendStringContent(ref text, value);
                    text.Append('"');
                }
                return null;
        }
    }

    /// <summary>
    /// OPT (RFC 6891) as <c>udp=SIZE version=V do=0|1 ercode=HIGH options=NAME:hex,...</c>; the fields
    /// live in the record's class and TTL, the options in its data.
    /// </summary>
    private string FormatOpt(int start, int end, ushort udpSize, uint ttl, out int optionCount)
    {
        optionCount = 0;
        Span<char> initial = stackalloc char[128];
        var text = new CharBuffer(initial);
        try
        {
            text.Append("udp=");
            text.Append(udpSize);
            text.Append(" version=");
            text.Append((ttl >> 16) & 0xFF);
            text.Append(" do=");
            text.Append((ttl & 0x8000) != 0 ? '1' : '0');
            text.Append(" ercode=");
            text.Append(ttl >> 24);
            for (var p = start; p < end;)
            {
                if (end - p < 4 || p + 4 + ReadU16(p + 2) > end)
                {
                    Fail(DnsParseError.BadRecordData, p,
                        $"The EDNS option at byte {p} runs past the end of the OPT record's data (byte {end}).");
                    text.Append(@" \# ");
                    text.Append((uint)(end - start));
                    text.Append(' ');
                    text.AppendHex(_msg[start..end]);
                    break;
                }
                var code = ReadU16(p);
                var length = ReadU16(p + 2);
                text.Append(optionCount == 0 ? " options=" : ",");
                text.Append(code switch
                {
                    3 => "NSID",
                    5 => "DAU",
                    6 => "DHU",
                    7 => "N3U",
                    8 => "ECS",
                    9 => "EXPIRE",
                    10 => "COOKIE",
                    11 => "KEEPALIVE",
                    12 => "PADDING",
                    13 => "CHAIN",
                    14 => "KEY-TAG",
                    15 => "EDE",
                    _ => "OPT" + code.ToString(System.Globalization.CultureInfo.InvariantCulture),
                });
                if (length > 0)
                {
                    text.Append(':');
                    text.AppendHex(_msg.Slice(p + 4, length));
                }
                optionCount++;
                p += 4 + length;
            }
            return text.ToString();
        }
        finally
        {
            text.Dispose();
        }
    }

    private static string TrailingData(int bytes) =>
        $"The data has {bytes} bytes left over after its last field.";
}
