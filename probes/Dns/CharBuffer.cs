using System.Buffers;
using System.Globalization;

namespace OsqueryBpf.Dns;

/// <summary>
/// An append-only character buffer that starts on a caller-supplied (usually stack) span and moves to a
/// pooled array only when it outgrows it, so building a presentation string allocates just the string.
/// Call <see cref="Dispose"/> to return a rented array.
/// </summary>
internal ref struct CharBuffer
{
    private Span<char> _chars;
    private char[]? _rented;
    private int _length;

    public CharBuffer(Span<char> initial)
    {
        _chars = initial;
        _rented = null;
        _length = 0;
    }

    /// <summary>Starts on a pooled array, for buffers that are passed to methods of a mutable ref struct
    /// (where a stack span may not go).</summary>
    public CharBuffer(int initialCapacity)
    {
        _rented = ArrayPool<char>.Shared.Rent(initialCapacity);
        _chars = _rented;
        _length = 0;
    }

    public readonly int Length => _length;

    public readonly ReadOnlySpan<char> Written => _chars[.._length];

    public void Append(char c)
    {
        if (_length == _chars.Length)
            Grow(1);
        _chars[_length++] = c;
    }

    public void Append(scoped ReadOnlySpan<char> text)
    {
        if (_length + text.Length > _chars.Length)
            Grow(text.Length);
        text.CopyTo(_chars[_length..]);
        _length += text.Length;
    }

    public void Append(string text) => Append(text.AsSpan());

    public void Append(uint value)
    {
        Span<char> digits = stackalloc char[10];
        value.TryFormat(digits, out var n, default, CultureInfo.InvariantCulture);
        Append(digits[..n]);
    }

    /// <summary>Appends a byte as <c>\DDD</c> (three decimal digits), the presentation escape of RFC 1035 5.1.</summary>
    public void AppendDecimalEscape(byte b)
    {
        Append('\\');
        Append((char)('0' + b / 100));
        Append((char)('0' + b / 10 % 10));
        Append((char)('0' + b % 10));
    }

    public void AppendHex(ReadOnlySpan<byte> bytes)
    {
        const string Digits = "0123456789abcdef";
        foreach (var b in bytes)
        {
            Append(Digits[b >> 4]);
            Append(Digits[b & 0xF]);
        }
    }

    public void AppendBase64(ReadOnlySpan<byte> bytes)
    {
        var needed = (bytes.Length + 2) / 3 * 4;
        if (_length + needed > _chars.Length)
            Grow(needed);
        Convert.TryToBase64Chars(bytes, _chars[_length..], out var written);
        _length += written;
    }

    public void Truncate(int length) => _length = Math.Min(_length, length);

    public override readonly string ToString() => new(_chars[.._length]);

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<char>.Shared.Return(_rented);
            _rented = null;
        }
    }

    private void Grow(int extra)
    {
        var next = ArrayPool<char>.Shared.Rent(Math.Max(_chars.Length * 2, _length + extra));
        _chars[.._length].CopyTo(next);
        if (_rented is not null)
            ArrayPool<char>.Shared.Return(_rented);
        _rented = next;
        _chars = next;
    }
}
