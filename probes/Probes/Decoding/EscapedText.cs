using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace OsqueryBpf.Probes.Decoding;

/// <summary>
/// Turns kernel bytes (paths, argv, comm) into text without losing anything.
/// </summary>
/// <remarks>
/// Linux names are bytes, not text. The encoding is: valid UTF-8 is kept as it is (spaces, quotes,
/// newlines and all); every byte that is not part of valid UTF-8 becomes <c>\xNN</c> (two upper-case hex
/// digits); and a backslash becomes <c>\\</c>, so that an escape can never be confused with a name
/// that contains <c>\x</c>. The mapping is therefore reversible: <see cref="ToBytes"/> gives back the
/// exact bytes. Names without backslashes or invalid bytes (nearly all) cost one string allocation.
/// Not thread-safe: each decoder owns one instance and reuses its buffer.
/// </remarks>
public sealed class EscapedText
{
    private char[] _buffer = new char[256];
    private readonly Dictionary<(ulong, ulong, int), string> _shortTexts = new(); // comm values repeat: decode each once

    /// <summary>
    /// Like <see cref="Decode"/> for texts of at most 16 bytes that repeat (a task's comm), remembering each so
    /// that repeats cost no allocation. Holds at most 4096 texts.
    /// </summary>
    public string DecodeShort(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 16)
            return Decode(bytes);
        Span<byte> padded = stackalloc byte[16];
        padded.Clear();
        bytes.CopyTo(padded);
        // The length is part of the key: zero padding alone cannot tell "a" from "a\0".
        var key = (BitConverter.ToUInt64(padded), BitConverter.ToUInt64(padded[8..]), bytes.Length);
        if (_shortTexts.TryGetValue(key, out var known))
            return known;
        if (_shortTexts.Count >= 4096)
            _shortTexts.Clear();
        var text = Decode(bytes);
        _shortTexts[key] = text;
        return text;
    }

    /// <summary>The text for <paramref name="bytes"/>, escaped as described in the remarks.</summary>
    public string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
            return "";
        if (bytes.IndexOf((byte)'\\') < 0 && Utf8.IsValid(bytes))
            return Encoding.UTF8.GetString(bytes);

        // Worst case: every byte becomes \xNN (4 chars).
        int needed = bytes.Length * 4;
        if (_buffer.Length < needed)
            _buffer = new char[Math.Max(needed, _buffer.Length * 2)];
        var output = _buffer.AsSpan();
        int written = 0;
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out var rune, out int consumed);
            if (status == OperationStatus.Done)
            {
                if (rune.Value == '\\')
                {
                    output[written++] = '\\';
                    output[written++] = '\\';
                }
                else
                {
                    written += rune.EncodeToUtf16(output[written..]);
                }
            }
            else
            {
                // Invalid or incomplete sequence: escape its bytes one at a time.
                consumed = Math.Max(consumed, 1);
                for (int i = 0; i < consumed; i++)
                    WriteHexEscape(bytes[i], output, ref written);
            }
            bytes = bytes[consumed..];
        }
        return new string(output[..written]);
    }

    /// <summary>The bytes that <see cref="Decode"/> turned into <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">The text has a backslash that starts no valid escape.</exception>
    public static byte[] ToBytes(string text)
    {
        var bytes = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < text.Length;)
        {
            if (text[i] == '\\')
            {
                if (i + 1 < text.Length && text[i + 1] == '\\')
                {
                    bytes.Add((byte)'\\');
                    i += 2;
                    continue;
                }
                if (i + 3 < text.Length && text[i + 1] == 'x' &&
                    byte.TryParse(text.AsSpan(i + 2, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b))
                {
                    bytes.Add(b);
                    i += 4;
                    continue;
                }
                throw new FormatException($"The text has a backslash at index {i} that starts neither \\\\ nor \\xNN.");
            }
            var rune = Rune.GetRuneAt(text, i);
            int n = rune.EncodeToUtf8(utf8);
            for (int k = 0; k < n; k++)
                bytes.Add(utf8[k]);
            i += rune.Utf16SequenceLength;
        }
        return bytes.ToArray();
    }

    private static void WriteHexEscape(byte value, Span<char> output, ref int written)
    {
        const string hex = "0123456789ABCDEF";
        output[written++] = '\\';
        output[written++] = 'x';
        output[written++] = hex[value >> 4];
        output[written++] = hex[value & 0xF];
    }
}
