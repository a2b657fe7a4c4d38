using OsqueryBpf.Probes.Decoding;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Decoding;

public sealed class EscapedTextTests
{
    private readonly EscapedText _text = new();

    [Theory]
    [InlineData("plain")]
    [InlineData("with space and \"quotes\" and 'single'")]
    [InlineData("new\nline\ttab")]
    [InlineData("ünïcödé ✓ 日本")]
    [InlineData("")]
    public void Valid_utf8_without_backslash_is_unchanged(string text)
    {
        Assert.Equal(text, _text.Decode(System.Text.Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void Invalid_bytes_become_hex_escapes_and_valid_parts_stay()
    {
        byte[] bytes = [(byte)'a', 0xFF, (byte)'b', 0xC3, (byte)'c', 0xE2, 0x82];
        Assert.Equal("a\\xFFb\\xC3c\\xE2\\x82", _text.Decode(bytes));
    }

    [Fact]
    public void Backslash_is_escaped_so_a_literal_backslash_x_is_not_an_escape()
    {
        Assert.Equal("a\\\\xFF", _text.Decode("a\\xFF"u8));
        Assert.Equal("a\\xFF", _text.Decode([(byte)'a', 0xFF]));
    }

    [Fact]
    public void Decoding_is_reversible_for_arbitrary_bytes()
    {
        var random = new Random(1234);
        for (int round = 0; round < 2000; round++)
        {
            var bytes = new byte[random.Next(0, 40)];
            random.NextBytes(bytes);
            // Mix in backslashes and UTF-8 so every path of the encoder is taken.
            if (bytes.Length > 3 && round % 3 == 0)
                bytes[1] = (byte)'\\';
            if (bytes.Length > 6 && round % 5 == 0)
                "é"u8.CopyTo(bytes.AsSpan(3));
            string text = _text.Decode(bytes);
            Assert.Equal(bytes, EscapedText.ToBytes(text));
        }
    }

    [Fact]
    public void Short_texts_are_remembered_without_mixing_up_lengths_or_contents()
    {
        var first = _text.DecodeShort("bash"u8);
        Assert.Same(first, _text.DecodeShort("bash"u8));
        Assert.Equal("abcdefg", _text.DecodeShort("abcdefg"u8));
        Assert.Equal("abcdefgx", _text.DecodeShort("abcdefgx"u8));
        Assert.Equal("a", _text.DecodeShort("a"u8));
        Assert.Equal("a\0", _text.DecodeShort([(byte)'a', 0])); // same padded bytes as "a", another length
        Assert.Equal("", _text.DecodeShort([]));
        Assert.Equal(@"\xFF", _text.DecodeShort([0xFF]));
    }

    [Fact]
    public void ToBytes_rejects_a_lone_backslash()
    {
        var error = Assert.Throws<FormatException>(() => EscapedText.ToBytes("a\\q"));
        Assert.Contains("index 1", error.Message);
    }
}
