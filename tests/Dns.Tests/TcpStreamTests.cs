using Xunit;

namespace OsqueryBpf.Dns.Tests;

public class TcpStreamTests
{
    private sealed class Collected
    {
        public List<(byte[] Bytes, bool Complete)> Messages { get; } = [];

        public void Add(ReadOnlySpan<byte> message, bool complete) => Messages.Add((message.ToArray(), complete));
    }

    private static byte[] Framed(params byte[][] messages) =>
        messages.SelectMany(m => new[] { (byte)(m.Length >> 8), (byte)m.Length }.Concat(m)).ToArray();

    private static readonly byte[] M1 = SampleMessages.Query("one.test", id: 1);
    private static readonly byte[] M2 = SampleMessages.RichResponse();
    private static readonly byte[] M3 = SampleMessages.Query("three.test", id: 3);

    [Fact]
    public void Segments_cut_anywhere_give_back_every_message_whole()
    {
        var stream = Framed(M1, M2, M3);
        var rng = new Random(11);
        for (var trial = 0; trial < 200; trial++)
        {
            var s = new DnsTcpStream();
            var got = new Collected();
            var seq = (uint)rng.NextInt64(0, uint.MaxValue); // includes wrap-around
            for (var at = 0; at < stream.Length;)
            {
                var n = Math.Min(1 + rng.Next(40), stream.Length - at);
                s.Append(seq + (uint)at, stream.AsSpan(at, n), n, got.Add);
                at += n;
            }
            Assert.Equal([M1, M2, M3], got.Messages.Select(m => m.Bytes));
            Assert.All(got.Messages, m => Assert.True(m.Complete));
            Assert.Equal(0, s.MissingBytes + s.DuplicateBytes + s.DroppedBytes);
        }
    }

    [Fact]
    public void Retransmitted_and_overlapping_segments_are_not_delivered_twice()
    {
        var stream = Framed(M1, M2);
        var s = new DnsTcpStream();
        var got = new Collected();
        s.Append(1000, stream.AsSpan(0, 30), 30, got.Add);
        s.Append(1000, stream.AsSpan(0, 30), 30, got.Add);          // full retransmission
        s.Append(1020, stream.AsSpan(20, 40), 40, got.Add);         // 10 bytes overlap
        s.Append(1060, stream.AsSpan(60), stream.Length - 60, got.Add);
        Assert.Equal([M1, M2], got.Messages.Select(m => m.Bytes));
        Assert.Equal(40, s.DuplicateBytes);
        Assert.Equal(1000u + (uint)stream.Length, s.NextSequence);
    }

    [Fact]
    public void Short_capture_inside_a_message_delivers_it_incomplete_and_keeps_framing()
    {
        var stream = Framed(M1, M2, M3);
        var s = new DnsTcpStream();
        var got = new Collected();
        // One segment with everything, but the capture kept only M1 and 50 bytes of M2's frame.
        var kept = M1.Length + 2 + 50;
        var m2End = M1.Length + 2 + M2.Length + 2;
        s.Append(7, stream.AsSpan(0, kept), m2End, got.Add);
        s.Append(7 + (uint)m2End, stream.AsSpan(m2End), stream.Length - m2End, got.Add);

        Assert.Equal(3, got.Messages.Count);
        Assert.Equal(M1, got.Messages[0].Bytes);
        Assert.True(got.Messages[0].Complete);
        Assert.False(got.Messages[1].Complete);
        Assert.Equal(M2[..48], got.Messages[1].Bytes);
        Assert.Equal(M3, got.Messages[2].Bytes);
        Assert.True(got.Messages[2].Complete);
        Assert.Equal(m2End - kept, s.MissingBytes);
        Assert.False(s.Desynchronized);
        // The incomplete message still parses as far as it goes, flagged.
        var r = DnsMessage.Parse(got.Messages[1].Bytes);
        Assert.Equal(DnsParseError.Truncated, r.Error);
        Assert.Equal("www.example.test.", r.Message!.Questions[0].Name);
    }

    [Fact]
    public void Missing_segment_inside_a_message_skips_to_the_next_one()
    {
        var stream = Framed(M1, M2, M3);
        var s = new DnsTcpStream();
        var got = new Collected();
        var gapStart = M1.Length + 2 + 20;
        var gapEnd = gapStart + 40;
        s.Append(0, stream.AsSpan(0, gapStart), gapStart, got.Add);
        s.Append((uint)gapEnd, stream.AsSpan(gapEnd), stream.Length - gapEnd, got.Add); // 40 bytes never seen
        Assert.Equal([true, false, true], got.Messages.Select(m => m.Complete));
        Assert.Equal(M3, got.Messages[2].Bytes);
        Assert.Equal(40, s.MissingBytes);
    }

    [Fact]
    public void Gap_over_a_message_boundary_loses_framing_and_counts_the_rest()
    {
        var stream = Framed(M1, M2, M3);
        var s = new DnsTcpStream();
        var got = new Collected();
        var gapStart = M1.Length + 2 + 10;                // inside M2
        var gapEnd = M1.Length + 2 + M2.Length + 2 + 5;   // inside M3, past M3's length prefix
        s.Append(0, stream.AsSpan(0, gapStart), gapStart, got.Add);
        s.Append((uint)gapEnd, stream.AsSpan(gapEnd), stream.Length - gapEnd, got.Add);
        Assert.True(s.Desynchronized);
        Assert.Equal([true, false], got.Messages.Select(m => m.Complete));
        Assert.Equal(stream.Length - gapEnd, s.DroppedBytes);
        Assert.Equal(gapEnd - gapStart, s.MissingBytes);
    }

    [Fact]
    public void Gap_inside_a_length_prefix_loses_framing()
    {
        var stream = Framed(M1, M2);
        var s = new DnsTcpStream();
        var got = new Collected();
        var cut = M1.Length + 2 + 1; // one byte of M2's prefix
        s.Append(0, stream.AsSpan(0, cut), cut + 5, got.Add);
        Assert.True(s.Desynchronized);
        Assert.Single(got.Messages);
        Assert.Equal(1, s.DroppedBytes);
    }

    [Fact]
    public void Close_delivers_an_unfinished_message_as_incomplete()
    {
        var stream = Framed(M1, M2);
        var s = new DnsTcpStream();
        var got = new Collected();
        s.Append(0, stream.AsSpan(0, stream.Length - 3), stream.Length - 3, got.Add);
        s.Close(got.Add);
        Assert.Equal([true, false], got.Messages.Select(m => m.Complete));
        Assert.Equal(M2[..^3], got.Messages[1].Bytes);
    }

    [Fact]
    public void Random_loss_duplication_and_short_captures_never_yield_a_wrong_message()
    {
        var originals = Enumerable.Range(0, 30).Select(i => i % 3 == 0 ? M2 : SampleMessages.Query($"n{i}.test", id: (ushort)i)).ToArray();
        var stream = Framed(originals);
        var rng = new Random(23);
        for (var trial = 0; trial < 300; trial++)
        {
            var s = new DnsTcpStream();
            var got = new Collected();
            var at = 0;
            while (at < stream.Length)
            {
                var n = Math.Min(1 + rng.Next(120), stream.Length - at);
                // The first segment is never lost: a stream must start at a message boundary (see DnsTcpStream.Append).
                var roll = at == 0 ? 9 : rng.Next(10);
                if (roll == 0)
                {
                    at += n; // segment lost
                    continue;
                }
                var kept = roll == 1 ? rng.Next(n + 1) : n; // short capture
                s.Append((uint)at, stream.AsSpan(at, kept), n, got.Add);
                if (roll == 2)
                    s.Append((uint)at, stream.AsSpan(at, kept), n, got.Add); // retransmission
                at += n;
            }
            s.Close(got.Add);

            // Complete messages must be originals, in order; incomplete ones a prefix of the original in their place.
            var next = 0;
            foreach (var (bytes, complete) in got.Messages)
            {
                var index = Array.FindIndex(originals, next, o => complete ? o.AsSpan().SequenceEqual(bytes) : o.AsSpan().StartsWith(bytes));
                Assert.True(index >= 0, $"Trial {trial}: a delivered message ({bytes.Length} bytes, complete={complete}) matches no original.");
                next = index + 1;
            }
            Assert.Equal(got.Messages.Count(m => m.Complete), s.CompleteMessages);
            Assert.Equal(got.Messages.Count(m => !m.Complete), s.IncompleteMessages);
        }
    }
}
