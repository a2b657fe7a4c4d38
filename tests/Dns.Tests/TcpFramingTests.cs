using Xunit;

namespace OsqueryBpf.Dns.Tests;

public class TcpFramingTests
{
    private static byte[] Frame(params byte[][] messages) =>
        messages.SelectMany(m => new[] { (byte)(m.Length >> 8), (byte)m.Length }.Concat(m)).ToArray();

    [Fact]
    public void Several_messages_and_a_partial_one_at_the_end()
    {
        var q1 = SampleMessages.Query("a.test", id: 1);
        var q2 = SampleMessages.Query("b.test", id: 2);
        var r = SampleMessages.RichResponse();
        var stream = Frame(q1, q2, r)[..^10];

        var frames = DnsTcpFraming.Split(stream);
        var ids = new List<int>();
        while (frames.MoveNext(out var message))
        {
            var parsed = DnsMessage.Parse(message);
            Assert.True(parsed.IsComplete, parsed.Reason);
            ids.Add(parsed.Message!.Id);
        }
        Assert.Equal([1, 2], ids);
        Assert.Equal(q1.Length + q2.Length + 4, frames.Consumed);
        Assert.Equal(r.Length, frames.PendingLength);
        Assert.Equal(r.Length + 2 - 10, frames.Remainder.Length);

        // The partial message itself parses as far as it goes.
        var partial = DnsMessage.Parse(frames.Remainder[2..]);
        Assert.Equal(DnsParseError.Truncated, partial.Error);
    }

    [Fact]
    public void Remainder_carried_into_the_next_segment_completes_the_message()
    {
        var r = SampleMessages.RichResponse();
        var stream = Frame(r);
        var cut = 37;
        var first = DnsTcpFraming.Split(stream.AsSpan(0, cut));
        Assert.False(first.MoveNext(out _));
        var carried = first.Remainder.ToArray().Concat(stream[cut..]).ToArray();
        var second = DnsTcpFraming.Split(carried);
        Assert.True(second.MoveNext(out var message));
        Assert.True(DnsMessage.Parse(message).IsComplete);
        Assert.Equal(-1, second.PendingLength);
    }

    [Fact]
    public void One_byte_left_has_no_known_length()
    {
        var frames = DnsTcpFraming.Split([0x00]);
        Assert.False(frames.MoveNext(out _));
        Assert.Equal(-1, frames.PendingLength);
        Assert.Equal(1, frames.Remainder.Length);
    }

    [Fact]
    public void Zero_length_frame_is_an_empty_message()
    {
        var frames = DnsTcpFraming.Split(Frame([], SampleMessages.Query()));
        Assert.True(frames.MoveNext(out var empty));
        Assert.Equal(DnsParseError.Empty, DnsMessage.Parse(empty).Error);
        Assert.True(frames.MoveNext(out var query));
        Assert.True(DnsMessage.Parse(query).IsComplete);
        Assert.False(frames.MoveNext(out _));
    }
}
