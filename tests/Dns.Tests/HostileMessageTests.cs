using Xunit;

namespace OsqueryBpf.Dns.Tests;

/// <summary>
/// Broken and malicious messages: each must give a flagged partial result with a sentence, never an
/// exception or a hang.
/// </summary>
public class HostileMessageTests
{
    private static DnsParseResult ParseFlagged(byte[] bytes, DnsParseError expected)
    {
        var result = DnsMessage.Parse(bytes);
        Assert.Equal(expected, result.Error);
        Assert.False(result.IsComplete);
        Assert.NotNull(result.Reason);
        Assert.EndsWith(".", result.Reason);
        Assert.InRange(result.ErrorOffset, 0, Math.Max(0, bytes.Length));
        return result;
    }

    [Fact]
    public void Empty_message()
    {
        var r = ParseFlagged([], DnsParseError.Empty);
        Assert.Null(r.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(11)]
    public void Truncated_header(int length)
    {
        var bytes = new DnsMessageBuilder().Question("x.test", 1).Build()[..length];
        var r = ParseFlagged(bytes, DnsParseError.HeaderTruncated);
        Assert.Null(r.Message);
        Assert.Contains(length.ToString(), r.Reason);
    }

    [Fact]
    public void Header_only_with_counts_but_no_body()
    {
        var r = ParseFlagged(new DnsMessageBuilder().Counts(1, 2, 0, 0).Build(), DnsParseError.Truncated);
        Assert.Equal(1, r.Message!.QuestionCount);
        Assert.Empty(r.Message.Questions);
    }

    [Fact]
    public void Self_pointer()
    {
        var b = new DnsMessageBuilder().Counts(1, 0, 0, 0);
        b.Pointer(12).U16(1).U16(1);
        var r = ParseFlagged(b.Build(), DnsParseError.BadPointer);
        Assert.Equal(12, r.ErrorOffset);
    }

    [Fact]
    public void Two_pointers_pointing_at_each_other()
    {
        // Question name at 12 is a pointer to 14; at 14 a pointer back to 12: forward, so refused at once.
        var b = new DnsMessageBuilder().Counts(2, 0, 0, 0);
        b.Pointer(14).Pointer(12).U16(1).U16(1);
        ParseFlagged(b.Build(), DnsParseError.BadPointer);
    }

    [Fact]
    public void Backward_pointer_that_would_revisit_its_own_labels()
    {
        // At 12: label "a", then at 14 a pointer back to 12 (backwards, but into its own name: an endless "a.a.a...").
        var b = new DnsMessageBuilder().Counts(1, 0, 0, 0);
        b.Label("a"u8).Pointer(12).U16(1).U16(1);
        var r = ParseFlagged(b.Build(), DnsParseError.BadPointer);
        Assert.Equal(14, r.ErrorOffset);
    }

    [Fact]
    public void Loop_through_record_data_names()
    {
        // A valid question, then an answer whose owner name points at its own CNAME data, which points back.
        var b = new DnsMessageBuilder(flags: 0x8180).Question("x.test", 5).Counts(1, 1, 0, 0);
        var owner = b.Position;
        b.Label("o"u8).Pointer(owner + 14).U16(5).U16(1).U32(60).U16(2).Pointer(owner);
        var r = ParseFlagged(b.Build(), DnsParseError.BadPointer);
        Assert.Single(r.Message!.Questions);
        Assert.Empty(r.Message.Answers);
    }

    [Fact]
    public void Forward_pointer()
    {
        var b = new DnsMessageBuilder().Counts(1, 0, 0, 0);
        b.Pointer(100).U16(1).U16(1);
        ParseFlagged(b.Build(), DnsParseError.BadPointer);
    }

    [Theory]
    [InlineData(DnsMessage.MaxPointerHops - 1, DnsParseError.None)]
    [InlineData(DnsMessage.MaxPointerHops, DnsParseError.TooManyPointers)]
    [InlineData(2000, DnsParseError.TooManyPointers)]
    public void Chain_of_backward_pointers_stops_at_the_hop_limit(int chainLength, DnsParseError expected)
    {
        // The first answer's data (an unknown type, so skipped) is a chain of pointers, each to the one before,
        // the first to the question name at 12. The second answer's owner points at the chain's end: resolving it
        // takes chainLength + 1 hops.
        var b = new DnsMessageBuilder(flags: 0x8180).Question("x.test", 1);
        var last = 12;
        b.Answer("x.test", 999, 60, d =>
        {
            for (var i = 0; i < chainLength; i++)
            {
                var at = d.Position;
                d.Pointer(last);
                last = at;
            }
        });
        b.Pointer(last).U16(1).U16(1).U32(60).U16(4).Address("1.2.3.4").Counts(1, 2, 0, 0);
        var r = DnsMessage.Parse(b.Build());
        Assert.Equal(expected, r.Error);
        if (expected == DnsParseError.None)
            Assert.Equal("x.test.", r.Message!.Answers[1].Name);
        else
            Assert.Single(r.Message!.Answers);
    }

    [Fact]
    public void Label_longer_than_63_is_a_reserved_label_type()
    {
        var b = new DnsMessageBuilder().Counts(1, 0, 0, 0);
        b.U8(64).Bytes(new byte[64]).U8(0).U16(1).U16(1);
        var r = ParseFlagged(b.Build(), DnsParseError.BadLabelType);
        Assert.Equal(12, r.ErrorOffset);
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x80)]
    [InlineData(0xBF)]
    public void Reserved_label_types(byte lengthByte)
    {
        var b = new DnsMessageBuilder().Counts(1, 0, 0, 0);
        b.U8(lengthByte).U8(0).U16(1).U16(1);
        ParseFlagged(b.Build(), DnsParseError.BadLabelType);
    }

    [Fact]
    public void Name_longer_than_255_bytes()
    {
        var l63 = Enumerable.Repeat((byte)'a', 63).ToArray();
        var bytes = new DnsMessageBuilder().RawName(l63, l63, l63, l63).U16(1).U16(1).Counts(1, 0, 0, 0).Build();
        ParseFlagged(bytes, DnsParseError.NameTooLong);
    }

    [Fact]
    public void Name_longer_than_255_bytes_through_pointers()
    {
        // Question 1 is 193 bytes long; question 2 adds two 63-byte labels in front of a pointer to it.
        var l63 = Enumerable.Repeat((byte)'a', 63).ToArray();
        var b = new DnsMessageBuilder().Counts(2, 0, 0, 0);
        b.RawName(l63, l63, l63).U16(1).U16(1);
        b.Label(l63).Pointer(12).U16(1).U16(1);
        var r = ParseFlagged(b.Build(), DnsParseError.NameTooLong);
        Assert.Single(r.Message!.Questions);
    }

    [Fact]
    public void Label_length_past_the_end()
    {
        var b = new DnsMessageBuilder().Counts(1, 0, 0, 0);
        b.U8(10).Bytes("abc"u8);
        ParseFlagged(b.Build(), DnsParseError.Truncated);
    }

    [Fact]
    public void Record_data_length_past_the_end_keeps_earlier_records()
    {
        var b = new DnsMessageBuilder(flags: 0x8180).Question("x.test", 1)
            .Answer("x.test", 1, 60, d => d.Address("1.1.1.1"))
            .Counts(1, 2, 0, 0);
        b.Pointer(12).U16(1).U16(1).U32(60).U16(400).Bytes([1, 2, 3, 4]);
        var r = ParseFlagged(b.Build(), DnsParseError.Truncated);
        Assert.Equal("1.1.1.1", Assert.Single(r.Message!.Answers).Data);
        Assert.Contains("400 bytes", r.Reason);
    }

    [Fact]
    public void Huge_counts_in_a_tiny_message_do_not_allocate_from_the_count()
    {
        var bytes = new DnsMessageBuilder().Question("x.test", 1).Counts(65535, 65535, 65535, 65535).Build();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var r = ParseFlagged(bytes, DnsParseError.Truncated);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Single(r.Message!.Questions);
        Assert.Equal(65535, r.Message.QuestionCount);
        Assert.True(allocated < 16_384, $"Parsing allocated {allocated} bytes for a {bytes.Length}-byte message.");
    }

    [Fact]
    public void Bad_record_data_is_kept_in_generic_form_and_parsing_goes_on()
    {
        var bytes = new DnsMessageBuilder(flags: 0x8180).Question("x.test", 1)
            .Answer("x.test", 1, 60, d => d.Bytes([1, 2, 3, 4, 5]))           // A with 5 bytes
            .Answer("x.test", 5, 60, d => d.Name("y.test").U8(0))             // CNAME with a stray byte
            .Answer("x.test", 15, 60, d => d.U16(1))                          // MX without a name
            .Answer("x.test", 1, 60, d => d.Address("9.9.9.9"))
            .Build();
        var r = ParseFlagged(bytes, DnsParseError.BadRecordData);
        var answers = r.Message!.Answers;
        Assert.Equal(4, answers.Count);
        Assert.Equal(@"\# 5 0102030405", answers[0].Data);
        Assert.Equal(@"\# 5 0179c00e00", answers[1].Data); // "y", a pointer to "test", the stray 0
        Assert.Equal(@"\# 2 0001", answers[2].Data);
        Assert.Equal("9.9.9.9", answers[3].Data);
        Assert.Contains("answer record 1", r.Reason);
    }

    [Fact]
    public void Zero_length_label_in_the_middle_ends_the_name_and_the_rest_is_misread_but_flagged()
    {
        // "a" 0 "b" 0 as a question name: the name ends after "a", then "b\0" is read as type/class garbage
        // and the next question runs out of bytes.
        var b = new DnsMessageBuilder().Counts(2, 0, 0, 0);
        b.Label("a"u8).U8(0).Label("b"u8).U8(0).U16(1);
        var r = DnsMessage.Parse(b.Build());
        Assert.False(r.IsComplete);
        Assert.Equal("a.", r.Message!.Questions[0].Name);
    }

    [Fact]
    public void Name_in_record_data_running_past_the_data_is_bad_data_not_a_stop()
    {
        var bytes = new DnsMessageBuilder(flags: 0x8180).Question("x.test", 5)
            .Answer("x.test", 5, 60, d => d.U8(5).Bytes("ab"u8))
            .Answer("x.test", 1, 60, d => d.Address("5.5.5.5"))
            .Build();
        var r = ParseFlagged(bytes, DnsParseError.BadRecordData);
        Assert.Equal(2, r.Message!.Answers.Count);
        Assert.Contains("past the end of its record's data", r.Reason);
    }

    [Fact]
    public void Largest_possible_message_is_read_completely()
    {
        // One TXT record whose data fills the message to exactly 65,535 bytes.
        var b = new DnsMessageBuilder(flags: 0x8180).Question("big.test", 16);
        var dataLength = 65535 - b.Position - 2 - 10;
        b.Answer("big.test", 16, 1, d =>
        {
            var left = dataLength;
            while (left > 0)
            {
                var n = Math.Min(255, left - 1);
                d.CharacterString(Enumerable.Repeat((byte)'x', n).ToArray());
                left -= n + 1;
            }
        });
        var bytes = b.Build();
        Assert.Equal(65535, bytes.Length);
        var r = DnsMessage.Parse(bytes);
        Assert.True(r.IsComplete, r.Reason);
        Assert.Equal(dataLength, Assert.Single(r.Message!.Answers).DataLength);
    }

    [Fact]
    public void Input_over_65535_bytes_is_read_up_to_the_limit_and_flagged()
    {
        var b = new DnsMessageBuilder(flags: 0x8180).Question("x.test", 1);
        for (var i = 0; i < 10; i++)
            b.Answer("x.test", 1, 60, d => d.Address("10.0.0." + i));
        var bytes = b.Build().Concat(new byte[70_000]).ToArray();
        var r = DnsMessage.Parse(bytes);
        Assert.Equal(DnsParseError.TooLarge, r.Error);
        Assert.Equal(10, r.Message!.Answers.Count);
        Assert.Equal(bytes.Length, r.Message.Length);
    }

    [Fact]
    public void Trailing_bytes_are_counted_not_an_error()
    {
        var bytes = new DnsMessageBuilder().Question("x.test", 1).Build().Concat(new byte[7]).ToArray();
        var r = DnsMessage.Parse(bytes);
        Assert.True(r.IsComplete);
        Assert.Equal(7, r.TrailingBytes);
    }

    [Fact]
    public void Every_prefix_of_a_real_response_parses_without_exception_and_keeps_what_fits()
    {
        var full = SampleMessages.RichResponse();
        var complete = DnsMessage.Parse(full);
        Assert.True(complete.IsComplete, complete.Reason);
        for (var length = 0; length < full.Length; length++)
        {
            var r = DnsMessage.Parse(full.AsSpan(0, length));
            Assert.False(r.IsComplete);
            if (r.Message is { } m)
            {
                Assert.True(m.Answers.Count <= complete.Message!.Answers.Count);
                for (var i = 0; i < m.Answers.Count; i++)
                    Assert.Equal(complete.Message.Answers[i], m.Answers[i]);
            }
        }
    }

    [Fact]
    public void A_stop_after_bad_record_data_is_the_reported_problem()
    {
        var b = new DnsMessageBuilder(flags: 0x8180).Question("x.test", 1)
            .Answer("x.test", 1, 60, d => d.Bytes([1, 2, 3]))
            .Counts(1, 2, 0, 0);
        var r = ParseFlagged(b.Build(), DnsParseError.Truncated);
        Assert.Equal(@"\# 3 010203", Assert.Single(r.Message!.Answers).Data);
    }
}
