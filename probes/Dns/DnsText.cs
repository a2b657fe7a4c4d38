namespace OsqueryBpf.Dns;

/// <summary>
/// Presentation-form escaping shared by names and character strings (RFC 1035 section 5.1, as dig prints).
/// Every byte that is not printable ASCII becomes <c>\DDD</c> (its decimal value), so a name or string that is
/// not UTF-8 is kept exactly and stays readable, and every output is 7-bit ASCII.
/// </summary>
internal static class DnsText
{
    /// <summary>
    /// Appends one label: bytes 0x21-0x7E as they are, except the characters that mean something in
    /// presentation form (<c>. ; \ " ( ) @ $</c>), which get a backslash; anything else (space, control
    /// bytes, 0x7F-0xFF) as <c>\DDD</c>.
    /// </summary>
    public static void AppendLabel(ref CharBuffer buffer, ReadOnlySpan<byte> label)
    {
        foreach (var b in label)
        {
            if (b is <= 0x20 or >= 0x7F)
            {
                buffer.AppendDecimalEscape(b);
            }
            else
            {
                if (b is (byte)'.' or (byte)';' or (byte)'\\' or (byte)'"' or (byte)'(' or (byte)')' or (byte)'@' or (byte)'$')
                    buffer.Append('\\');
                buffer.Append((char)b);
            }
        }
    }

    /// <summary>
    /// Appends a character string's content without quotes: <c>"</c> and <c>\</c> get a backslash,
    /// <c>;</c> and bytes outside 0x20-0x7E become <c>\DDD</c>. Escaping <c>;</c> (which dig leaves alone
    /// inside quotes) keeps "; " unique to the separator of the answers column.
    /// <para>
    /// <paramref name="listItem"/> is for one item of an SVCB value list (alpn): RFC 9460 appendix A.1 escapes
    /// the item first (<c>,</c> as <c>\,</c>, <c>\</c> as <c>\\</c>) and then the whole value as a character
    /// string, which doubles those backslashes: a comma becomes <c>\\,</c>, as dig prints it.
    /// </para>
    /// </summary>
    public static void AppendStringContent(ref CharBuffer buffer, ReadOnlySpan<byte> text, bool listItem = false)
    {
        foreach (var b in text)
        {
            if (b is < 0x20 or >= 0x7F or (byte)';')
            {
                buffer.AppendDecimalEscape(b);
            }
            else if (listItem && b is (byte)',' or (byte)'\\')
            {
                buffer.Append(b == (byte)',' ? @"\\," : @"\\\\");
            }
            else
            {
                if (b is (byte)'"' or (byte)'\\')
                    buffer.Append('\\');
                buffer.Append((char)b);
            }
        }
    }

    /// <summary>Appends a character string in double quotes.</summary>
    public static void AppendQuoted(ref CharBuffer buffer, ReadOnlySpan<byte> text)
    {
        buffer.Append('"');
        AppendStringContent(ref buffer, text);
        buffer.Append('"');
    }

    /// <summary>Appends an IPv4 address in dotted decimal.</summary>
    public static void AppendIPv4(ref CharBuffer buffer, ReadOnlySpan<byte> address)
    {
        for (var i = 0; i < 4; i++)
        {
            if (i > 0)
                buffer.Append('.');
            buffer.Append(address[i]);
        }
    }

    /// <summary>Appends an IPv6 address in its RFC 5952 text form.</summary>
    public static void AppendIPv6(ref CharBuffer buffer, ReadOnlySpan<byte> address)
    {
        Span<char> text = stackalloc char[64];
        new System.Net.IPAddress(address).TryFormat(text, out var written);
        buffer.Append(text[..written]);
    }

    /// <summary>Removes the trailing dot of an absolute name (the root stays ".").</summary>
    public static string WithoutTrailingDot(string name)
    {
        // An escaped dot (\.) at the end belongs to the last label, so only strip a dot that is not escaped.
        if (name.Length <= 1 || name[^1] != '.')
            return name;
        var backslashes = 0;
        for (var i = name.Length - 2; i >= 0 && name[i] == '\\'; i--)
            backslashes++;
        return backslashes % 2 == 0 ? name[..^1] : name;
    }
}
