using Xunit;

namespace OsqueryBpf.Dns.Tests;

public class HeaderAndQuestionTests
{
    [Fact]
    public void Query_header_fields_and_question_are_read()
    {
        var bytes = new DnsMessageBuilder(id: 0xBEEF, flags: 0x0120) // RD + AD
            .Question("www.Example.com", DnsNames.Types.AAAA)
            .Build();

        var result = DnsMessage.Parse(bytes);

        Assert.True(result.IsComplete, result.Reason);
        Assert.Equal(-1, result.ErrorOffset);
        Assert.Null(result.Reason);
        var m = result.Message!;
        Assert.Equal(0xBEEF, m.Id);
        Assert.False(m.IsResponse);
        Assert.Equal(0, m.Opcode);
        Assert.True(m.RecursionDesired);
        Assert.True(m.AuthenticData);
        Assert.False(m.Truncated);
        Assert.False(m.CheckingDisabled);
        Assert.Equal(1, m.QuestionCount);
        var q = Assert.Single(m.Questions);
        Assert.Equal("www.Example.com.", q.Name); // case is kept, as dig shows it
        Assert.Equal(28, q.Type);
        Assert.Equal("AAAA", q.TypeName);
        Assert.Equal(1, q.Class);
        Assert.Empty(m.Answers);
        Assert.Null(m.Edns);
        Assert.Equal(bytes.Length, m.Length);
    }

    [Theory]
    [InlineData(0x8000, "qr")]
    [InlineData(0x0400, "aa")]
    [InlineData(0x0200, "tc")]
    [InlineData(0x0100, "rd")]
    [InlineData(0x0080, "ra")]
    [InlineData(0x0040, "z")]
    [InlineData(0x0020, "ad")]
    [InlineData(0x0010, "cd")]
    public void Each_flag_bit_maps_to_its_own_property(ushort flags, string which)
    {
        var m = DnsMessage.Parse(new DnsMessageBuilder(flags: flags).Build()).Message!;
        var set = new Dictionary<string, bool>
        {
            ["qr"] = m.IsResponse, ["aa"] = m.AuthoritativeAnswer, ["tc"] = m.Truncated, ["rd"] = m.RecursionDesired,
            ["ra"] = m.RecursionAvailable, ["z"] = m.Zero, ["ad"] = m.AuthenticData, ["cd"] = m.CheckingDisabled,
        };
        foreach (var (name, value) in set)
            Assert.Equal(name == which, value);
        Assert.Equal(0, m.Opcode);
        Assert.Equal(0, m.Rcode);
    }

    [Fact]
    public void Opcode_and_rcode_are_read_from_their_bits()
    {
        // QR, opcode 5 (UPDATE), rcode 3 (NXDOMAIN)
        var m = DnsMessage.Parse(new DnsMessageBuilder(flags: 0x8000 | 5 << 11 | 3).Build()).Message!;
        Assert.Equal(5, m.Opcode);
        Assert.Equal(3, m.HeaderRcode);
        Assert.Equal(3, m.Rcode);
        Assert.Equal("UPDATE", DnsNames.OpcodeName(m.Opcode));
        Assert.Equal("NXDOMAIN", DnsNames.RcodeName(m.Rcode));
    }

    [Fact]
    public void Root_name_question_is_a_single_dot()
    {
        var m = DnsMessage.Parse(new DnsMessageBuilder().Question(".", DnsNames.Types.NS).Build()).Message!;
        Assert.Equal(".", m.Questions[0].Name);
    }

    [Fact]
    public void Several_questions_are_all_read()
    {
        var m = DnsMessage.Parse(new DnsMessageBuilder()
            .Question("a.test", 1).Question("b.a.test", 28).Question("a.test", 16, cls: 3).Build()).Message!;
        Assert.Equal(["a.test.", "b.a.test.", "a.test."], m.Questions.Select(q => q.Name));
        Assert.Equal([1, 28, 16], m.Questions.Select(q => (int)q.Type));
        Assert.Equal(3, m.Questions[2].Class);
    }

    [Theory]
    [InlineData(1, "A")]
    [InlineData(28, "AAAA")]
    [InlineData(65, "HTTPS")]
    [InlineData(64, "SVCB")]
    [InlineData(255, "ANY")]
    [InlineData(257, "CAA")]
    [InlineData(43, "DS")]
    [InlineData(54, "TYPE54")]
    [InlineData(999, "TYPE999")]
    [InlineData(65535, "TYPE65535")]
    public void Type_names_follow_iana_and_rfc3597(int type, string name) =>
        Assert.Equal(name, DnsNames.TypeName((ushort)type));

    [Theory]
    [InlineData(1, "IN")]
    [InlineData(3, "CH")]
    [InlineData(255, "ANY")]
    [InlineData(2, "CLASS2")]
    [InlineData(4096, "CLASS4096")]
    public void Class_names_follow_iana_and_rfc3597(int cls, string name) =>
        Assert.Equal(name, DnsNames.ClassName((ushort)cls));
}
