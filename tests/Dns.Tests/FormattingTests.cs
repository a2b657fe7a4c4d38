using System.Text.Json;
using Xunit;

namespace OsqueryBpf.Dns.Tests;

public class FormattingTests
{
    [Fact]
    public void Answers_column_lists_type_and_data_in_message_order()
    {
        var m = DnsMessage.Parse(SampleMessages.RichResponse()).Message!;
        Assert.Equal(
            "CNAME cdn.example.net.; A 93.184.216.34; A 93.184.216.35; AAAA 2606:2800:220:1::248; " +
            "MX 10 mail.example.test.; TXT \"v=spf1 include:x\\059 -all\" \"two\"; SRV 1 2 5061 sip.example.test.; " +
            "CAA 0 issue \"ca.test\"; HTTPS 1 . alpn=\"h2\" port=443 ipv4hint=192.0.2.7; PTR host.example.test.; " +
            "TYPE4660 \\# 3 010203",
            DnsFormat.Answers(m));
    }

    [Fact]
    public void Answers_split_on_the_separator_give_back_every_record()
    {
        var m = DnsMessage.Parse(SampleMessages.RichResponse()).Message!;
        var parts = DnsFormat.Answers(m).Split(DnsFormat.AnswerSeparator);
        Assert.Equal(m.Answers.Count, parts.Length);
        for (var i = 0; i < parts.Length; i++)
            Assert.Equal(m.Answers[i].TypeName + " " + m.Answers[i].Data, parts[i]);
    }

    [Fact]
    public void No_answers_is_an_empty_string_and_an_empty_json_array()
    {
        var m = DnsMessage.Parse(SampleMessages.NxDomain()).Message!;
        Assert.Equal("", DnsFormat.Answers(m));
        Assert.Equal("[]", DnsFormat.ResponseJson(m));
    }

    [Fact]
    public void Response_json_has_one_object_per_answer_with_all_fields()
    {
        var m = DnsMessage.Parse(SampleMessages.RichResponse()).Message!;
        using var doc = JsonDocument.Parse(DnsFormat.ResponseJson(m));
        var items = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(m.Answers.Count, items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            Assert.Equal(m.Answers[i].Name, items[i].GetProperty("name").GetString());
            Assert.Equal(m.Answers[i].TypeName, items[i].GetProperty("type").GetString());
            Assert.Equal("IN", items[i].GetProperty("class").GetString());
            Assert.Equal(m.Answers[i].Ttl, items[i].GetProperty("ttl").GetUInt32());
            Assert.Equal(m.Answers[i].Data, items[i].GetProperty("data").GetString());
        }
    }

    [Fact]
    public void Json_stays_valid_and_exact_with_quotes_backslashes_and_binary()
    {
        var bytes = new DnsMessageBuilder(flags: 0x8180).Question("x.test", 16)
            .Answer("x.test", 16, 1, b => b.CharacterString([(byte)'"', (byte)'\\', 0x00, 0xFF, (byte)'<', (byte)'&']))
            .Build();
        var m = DnsMessage.Parse(bytes).Message!;
        var json = DnsFormat.ResponseJson(m);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("\"\\\"\\\\\\000\\255<&\"", doc.RootElement[0].GetProperty("data").GetString());
        Assert.Contains("<&", json); // readable, not \u003C
    }

    [Fact]
    public void Event_fields_of_a_response()
    {
        var f = DnsEventFields.From(DnsMessage.Parse(SampleMessages.RichResponse()));
        Assert.Equal("response", f.Kind);
        Assert.Equal(0x4242, f.Id);
        Assert.Equal("www.example.test", f.Name);
        Assert.Equal("A", f.Type);
        Assert.Equal(1, f.TypeId);
        Assert.Equal(0, f.Status);
        Assert.StartsWith("CNAME cdn.example.net.; A 93.184.216.34", f.Answers);
        Assert.StartsWith("[{\"name\":\"www.example.test.\"", f.ResponseJson);
        Assert.False(f.Truncated);
        Assert.False(f.ProbeError);
        Assert.Null(f.ParseProblem);
    }

    [Fact]
    public void Event_fields_of_a_query_and_of_nxdomain()
    {
        var q = DnsEventFields.From(DnsMessage.Parse(SampleMessages.Query("host.test", 65)));
        Assert.Equal("query", q.Kind);
        Assert.Equal("HTTPS", q.Type);
        Assert.Equal(65, q.TypeId);
        Assert.Equal("", q.Answers);
        Assert.Equal("[]", q.ResponseJson);

        var nx = DnsEventFields.From(DnsMessage.Parse(SampleMessages.NxDomain()));
        Assert.Equal(3, nx.Status);
        Assert.Equal("nope.example.test", nx.Name);
    }

    [Fact]
    public void Event_fields_of_a_truncated_capture_and_of_a_tc_response()
    {
        var cut = SampleMessages.RichResponse()[..60];
        var f = DnsEventFields.From(DnsMessage.Parse(cut));
        Assert.True(f.ProbeError);
        Assert.NotNull(f.ParseProblem);
        Assert.Equal("response", f.Kind);
        Assert.Equal("www.example.test", f.Name);

        var tc = new DnsMessageBuilder(flags: 0x8380).Question("big.test", 16).Build();
        var t = DnsEventFields.From(DnsMessage.Parse(tc));
        Assert.True(t.Truncated);
        Assert.False(t.ProbeError);

        var none = DnsEventFields.From(DnsMessage.Parse([1, 2, 3]));
        Assert.True(none.ProbeError);
        Assert.Equal("", none.Name);
    }
}
