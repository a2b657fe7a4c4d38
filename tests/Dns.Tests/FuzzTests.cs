using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.Dns.Tests;

/// <summary>
/// Random and mutated messages (bit flips, overwrites, truncation, splicing, insertion and deletion, forged
/// counts and compression pointers) against the parser, checking that nothing escapes and that every result is
/// self-consistent. DNS_FUZZ_ITERATIONS sets the count (default 1,000,000); DNS_FUZZ_SEED the random seed.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private const int DefaultIterations = 1_000_000;

    private static byte[][] Seeds()
    {
        var seeds = new List<byte[]>
        {
            SampleMessages.RichResponse(),
            SampleMessages.Query(),
            SampleMessages.Query("_http._tcp.very.long.name.example.test", 65),
            SampleMessages.NxDomain(),
            new DnsMessageBuilder(flags: 0x8180).Question("x.test", 64)
                .Answer("x.test", 64, 5, b => b.U16(1).Name("svc.x.test").U16(0).U16(2).U16(1)
                    .U16(1).U16(6).CharacterString("h2").CharacterString("h3").U16(5).U16(3).Bytes([1, 2, 3])
                    .U16(6).U16(16).Address("2001:db8::1"))
                .Build(),
        };
        return [.. seeds];
    }

    [Fact]
    public void Parser_survives_random_and_mutated_messages()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("DNS_FUZZ_ITERATIONS"), out var n) ? n : DefaultIterations;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("DNS_FUZZ_SEED"), out var s) ? s : 20261124;
        var rng = new Random(seed);
        var seeds = Seeds();
        var buffer = new byte[70_000];
        var incomplete = 0;
        var errors = new int[Enum.GetValues<DnsParseError>().Length];
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < iterations; i++)
        {
            var length = Mutate(rng, seeds, buffer);
            var message = buffer.AsSpan(0, length);
            DnsParseResult result;
            try
            {
                result = DnsMessage.Parse(message);
                if ((i & 15) == 0)
                {
                    CheckFields(result);
                    var frames = DnsTcpFraming.Split(message);
                    while (frames.MoveNext(out var framed))
                        DnsMessage.Parse(framed);
                }
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException(
                    $"Iteration {i} (seed {seed}) threw on {Convert.ToHexString(message)}: {e}");
            }
            var problem = Inconsistency(result, length);
            if (problem is not null)
                Assert.Fail($"Iteration {i} (seed {seed}): {problem} Input: {Convert.ToHexString(message)}");
            if (!result.IsComplete)
                incomplete++;
            errors[(int)result.Error]++;
        }

        clock.Stop();
        output.WriteLine($"{iterations:N0} messages in {clock.Elapsed.TotalSeconds:F1} s " +
                         $"({iterations / clock.Elapsed.TotalSeconds:N0}/s), seed {seed}; {incomplete:N0} flagged.");
        foreach (var error in Enum.GetValues<DnsParseError>())
            output.WriteLine($"  {error}: {errors[(int)error]:N0}");
        // The mutator must exercise both the happy path and the main failure kinds, or the run proves little.
        if (iterations >= 100_000)
        {
            foreach (var kind in new[] { DnsParseError.None, DnsParseError.Truncated, DnsParseError.BadPointer,
                         DnsParseError.BadLabelType, DnsParseError.BadRecordData, DnsParseError.HeaderTruncated })
                Assert.True(errors[(int)kind] > 0, $"The fuzzer never produced {kind}.");
        }
    }

    [Fact]
    public void Seeds_are_valid_messages()
    {
        foreach (var seed in Seeds())
        {
            var r = DnsMessage.Parse(seed);
            Assert.True(r.IsComplete, r.Reason);
        }
    }

    private static void CheckFields(DnsParseResult result)
    {
        var fields = DnsEventFields.From(result);
        if (result.Message is { } m && m.Answers.Count > 0)
        {
            var parts = fields.Answers.Split(DnsFormat.AnswerSeparator);
            if (parts.Length != m.Answers.Count)
                Assert.Fail($"The answers column has {parts.Length} parts for {m.Answers.Count} records: {fields.Answers}");
            using var json = System.Text.Json.JsonDocument.Parse(fields.ResponseJson);
            Assert.Equal(m.Answers.Count, json.RootElement.GetArrayLength());
        }
    }

    /// <summary>Returns a sentence naming the first broken promise of a result, or null.</summary>
    internal static string? Inconsistency(DnsParseResult r, int length)
    {
        if (r.Error == DnsParseError.InternalError)
            return $"The parser hit an internal error: {r.Reason}";
        if (r.IsComplete != (r.Reason is null) || r.IsComplete != (r.ErrorOffset == -1))
            return "Reason and offset disagree with the error.";
        if (r.ErrorOffset < -1 || r.ErrorOffset > Math.Min(length, DnsMessage.MaxLength))
            return $"The error offset {r.ErrorOffset} is outside the message.";
        if ((r.Message is null) != (length < DnsMessage.HeaderLength))
            return "A message must exist exactly when there is a header.";
        if (r.Message is not { } m)
            return null;
        if (m.Questions.Count > m.QuestionCount || m.Answers.Count > m.AnswerCount ||
            m.Authorities.Count > m.AuthorityCount || m.Additionals.Count > m.AdditionalCount)
            return "More entries were read than the header announces.";
        var countsMatch = m.Questions.Count == m.QuestionCount && m.Answers.Count == m.AnswerCount &&
                          m.Authorities.Count == m.AuthorityCount && m.Additionals.Count == m.AdditionalCount;
        if (r.IsComplete && !countsMatch)
            return "A complete message must have every announced entry.";
        if (!countsMatch && r.Error is DnsParseError.None or DnsParseError.BadRecordData or DnsParseError.TooLarge)
            return $"Entries are missing but the error is {r.Error}.";
        if (r.TrailingBytes < 0 || r.TrailingBytes > length)
            return $"Trailing byte count {r.TrailingBytes} is impossible.";
        foreach (var q in m.Questions)
        {
            if (BadName(q.Name))
                return $"Question name '{q.Name}' is not a presentation-form absolute name.";
        }
        foreach (var section in new[] { m.Answers, m.Authorities, m.Additionals })
        {
            foreach (var rec in section)
            {
                if (BadName(rec.Name))
                    return $"Record name '{rec.Name}' is not a presentation-form absolute name.";
                if (rec.Data.Any(c => c is < ' ' or > '~'))
                    return $"Record data '{rec.Data}' has a character outside printable ASCII.";
                if (rec.DataLength > length)
                    return "A record's data is longer than the message.";
            }
        }
        if (m.Edns is { } edns && !m.Additionals.Any(a => a.Type == DnsNames.Types.OPT && a.Class == edns.UdpPayloadSize))
            return "EDNS fields without an OPT record.";
        return null;
    }

    private static bool BadName(string name) =>
        name.Length == 0 || name[^1] != '.' || name.Length > 1024 || name.Any(c => c is <= ' ' or > '~');

    private static int Mutate(Random rng, byte[][] seeds, byte[] buffer)
    {
        int length;
        var mode = rng.Next(10);
        if (mode == 0)
        {
            // Pure noise, mostly short, sometimes long.
            length = rng.Next(4) == 0 ? rng.Next(0, 4096) : rng.Next(0, 96);
            rng.NextBytes(buffer.AsSpan(0, length));
            return length;
        }

        var seed = seeds[rng.Next(seeds.Length)];
        seed.CopyTo(buffer, 0);
        length = seed.Length;
        var rounds = 1 + rng.Next(3);
        for (var round = 0; round < rounds; round++)
        {
            switch (rng.Next(8))
            {
                case 0: // bit flips
                    for (var k = 1 + rng.Next(8); k > 0 && length > 0; k--)
                        buffer[rng.Next(length)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1: // byte overwrites, including the interesting values
                    for (var k = 1 + rng.Next(4); k > 0 && length > 0; k--)
                        buffer[rng.Next(length)] = rng.Next(3) switch { 0 => 0, 1 => 0xFF, _ => (byte)rng.Next(256) };
                    break;
                case 2: // truncation
                    length = rng.Next(length + 1);
                    break;
                case 3: // splice: our prefix, another seed's suffix
                {
                    var other = seeds[rng.Next(seeds.Length)];
                    var cut = rng.Next(length + 1);
                    var from = rng.Next(other.Length + 1);
                    var take = Math.Min(other.Length - from, buffer.Length - cut);
                    other.AsSpan(from, take).CopyTo(buffer.AsSpan(cut));
                    length = cut + take;
                    break;
                }
                case 4: // insert or delete a run of bytes
                {
                    var at = rng.Next(length + 1);
                    var run = 1 + rng.Next(8);
                    if (rng.Next(2) == 0 && length + run <= buffer.Length)
                    {
                        buffer.AsSpan(at, length - at).CopyTo(buffer.AsSpan(at + run));
                        rng.NextBytes(buffer.AsSpan(at, run));
                        length += run;
                    }
                    else if (at + run <= length)
                    {
                        buffer.AsSpan(at + run, length - at - run).CopyTo(buffer.AsSpan(at));
                        length -= run;
                    }
                    break;
                }
                case 5: // forged section counts
                    if (length >= 12)
                    {
                        var field = 4 + 2 * rng.Next(4);
                        var value = rng.Next(3) == 0 ? 0xFFFF : rng.Next(40);
                        buffer[field] = (byte)(value >> 8);
                        buffer[field + 1] = (byte)value;
                    }
                    break;
                case 6: // a compression pointer anywhere, to anywhere (often forwards or into itself)
                    if (length >= 2)
                    {
                        var at = rng.Next(length - 1);
                        var target = rng.Next(Math.Max(1, length));
                        buffer[at] = (byte)(0xC0 | target >> 8);
                        buffer[at + 1] = (byte)target;
                    }
                    break;
                default: // a length byte made too large (label over 63, rdlength or string past the end)
                    if (length > 0)
                        buffer[rng.Next(length)] = (byte)(rng.Next(2) == 0 ? 0x40 + rng.Next(0x80) : 0x3F);
                    break;
            }
        }
        return length;
    }
}
