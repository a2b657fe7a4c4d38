using Xunit;

namespace OsqueryBpf.Dns.Tests;

public class NameTests
{
    private static string QuestionName(byte[] bytes)
    {
        var result = DnsMessage.Parse(bytes);
        Assert.True(result.IsComplete, result.Reason);
        return result.Message!.Questions[0].Name;
    }

    [Fact]
    public void Special_characters_get_a_backslash_like_dig()
    {
        var bytes = new DnsMessageBuilder()
            .RawName("a.b"u8.ToArray(), "semi;colon"u8.ToArray(), "back\\slash"u8.ToArray(), "q\"(x)@$"u8.ToArray())
            .U16(1).U16(1).Counts(1, 0, 0, 0).Build();
        Assert.Equal("a\\.b.semi\\;colon.back\\\\slash.q\\\"\\(x\\)\\@\\$.", QuestionName(bytes));
    }

    [Fact]
    public void Space_control_and_non_ascii_bytes_become_decimal_escapes()
    {
        // "é" in UTF-8 is C3 A9; 0xFF is not UTF-8 at all: both must survive exactly and readably.
        var bytes = new DnsMessageBuilder()
            .RawName([0x20, 0x00, 0x7F], [(byte)'c', 0xC3, 0xA9], [0xFF])
            .U16(1).U16(1).Counts(1, 0, 0, 0).Build();
        Assert.Equal(@"\032\000\127.c\195\169.\255.", QuestionName(bytes));
    }

    [Fact]
    public void Escaped_name_round_trips_to_the_original_bytes()
    {
        byte[][] labels = [[0x00, 0x2E, 0x5C, 0xFF, 0x41], [0x3B, 0x20]];
        var bytes = new DnsMessageBuilder().RawName(labels).U16(1).U16(1).Counts(1, 0, 0, 0).Build();
        var name = QuestionName(bytes);
        Assert.Equal(labels, Unescape(name));
    }

    [Fact]
    public void Label_of_63_bytes_and_name_of_255_bytes_are_accepted()
    {
        var l63 = Enumerable.Repeat((byte)'a', 63).ToArray();
        var l61 = Enumerable.Repeat((byte)'b', 61).ToArray();
        // 3 * 64 + 62 + 1 = 255 bytes on the wire: the largest legal name.
        var bytes = new DnsMessageBuilder().RawName(l63, l63, l63, l61).U16(1).U16(1).Counts(1, 0, 0, 0).Build();
        var name = QuestionName(bytes);
        Assert.Equal(3 * 64 + 62, name.Length);
    }

    [Fact]
    public void Pointer_chains_through_several_suffixes_resolve()
    {
        var b = new DnsMessageBuilder(flags: 0x8180).Question("deep.sub.zone.test", 1);
        b.Answer("deep.sub.zone.test", 5, 60, d => d.Name("other.sub.zone.test"));
        b.Answer("other.sub.zone.test", 5, 60, d => d.Name("third.other.sub.zone.test"));
        b.Answer("third.other.sub.zone.test", 1, 60, d => d.Address("1.2.3.4"));
        var m = DnsMessage.Parse(b.Build()).Message!;
        Assert.Equal(["deep.sub.zone.test.", "other.sub.zone.test.", "third.other.sub.zone.test."], m.Answers.Select(a => a.Name));
        Assert.Equal(["other.sub.zone.test.", "third.other.sub.zone.test.", "1.2.3.4"], m.Answers.Select(a => a.Data));
    }

    [Fact]
    public void Cached_names_do_not_leak_between_different_prefixes()
    {
        // Both data names end with a pointer to the question's zone.test; the cache must combine correctly.
        var b = new DnsMessageBuilder(flags: 0x8180).Question("zone.test", 2);
        b.Answer("zone.test", 2, 60, d => d.Name("ns1.zone.test"));
        b.Answer("zone.test", 2, 60, d => d.Name("ns2.zone.test"));
        b.Answer("zone.test", 2, 60, d => d.Name("ns1.zone.test"));
        var m = DnsMessage.Parse(b.Build()).Message!;
        Assert.Equal(["ns1.zone.test.", "ns2.zone.test.", "ns1.zone.test."], m.Answers.Select(a => a.Data));
        Assert.All(m.Answers, a => Assert.Equal("zone.test.", a.Name));
    }

    [Fact]
    public void Pointer_to_the_root_adds_nothing()
    {
        // A name "a" followed by a pointer to a lone root label.
        var b = new DnsMessageBuilder().Counts(2, 0, 0, 0);
        b.U8(0).U16(2).U16(1); // question 1: ".", at offset 12
        b.Label("a"u8).Pointer(12).U16(1).U16(1);
        var m = DnsMessage.Parse(b.Build()).Message!;
        Assert.Equal([".", "a."], m.Questions.Select(q => q.Name));
    }

    [Theory]
    [InlineData("example.com.", "example.com")]
    [InlineData(".", ".")]
    [InlineData(@"dot\..", @"dot\.")]
    [InlineData(@"back\\.", @"back\\")]
    public void Trailing_dot_is_removed_only_when_unescaped(string name, string expected) =>
        Assert.Equal(expected, DnsText.WithoutTrailingDot(name));

    /// <summary>Turns a presentation name back into label bytes (test oracle).</summary>
    internal static byte[][] Unescape(string name)
    {
        var labels = new List<byte[]>();
        var current = new List<byte>();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '\\')
            {
                if (char.IsAsciiDigit(name[i + 1]))
                {
                    current.Add(byte.Parse(name.AsSpan(i + 1, 3)));
                    i += 3;
                }
                else
                {
                    current.Add((byte)name[++i]);
                }
            }
            else if (c == '.')
            {
                if (current.Count > 0)
                    labels.Add([.. current]);
                current.Clear();
            }
            else
            {
                current.Add((byte)c);
            }
        }
        return [.. labels];
    }
}
