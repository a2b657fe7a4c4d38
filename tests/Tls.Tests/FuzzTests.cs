using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace OsqueryBpf.Tls.Tests;

/// <summary>
/// Random and mutated streams (bit flips, overwrites, truncation, splicing, insertion and deletion, forged record,
/// handshake, list and extension lengths, record re-splitting) against the parser, JA4 and the reassembler,
/// checking that nothing escapes and that every result keeps its promises. TLS_FUZZ_ITERATIONS sets the count
/// (default 1,000,000); TLS_FUZZ_SEED the random seed.
/// </summary>
public partial class FuzzTests(ITestOutputHelper output)
{
    private const int DefaultIterations = 1_000_000;

    [GeneratedRegex("^[tqd][0-9s][0-9][di][0-9]{4}[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$")]
    private static partial Regex Ja4Shape();

    private static byte[][] Seeds()
    {
        var browser = SampleHellos.Browser().ClientHelloMessage();
        return
        [
            SampleHellos.Browser().ClientHelloRecord(),
            HelloBuilder.Records(browser, 64),
            HelloBuilder.Records(browser, 7),
            new HelloBuilder { OmitExtensions = true, LegacyVersion = 0x0301 }.ClientHelloRecord(),
            new HelloBuilder().ServerName([0xff, (byte)'\\', 0, (byte)' ']).AlpnBytes([0x20, 0x61], "h2"u8.ToArray()).ClientHelloRecord(),
            SampleHellos.ServerHello13(),
            SampleHellos.ServerHello12(),
        ];
    }

    [Fact]
    public void Seeds_are_valid_hellos()
    {
        foreach (var seed in Seeds())
            Assert.True(TlsHello.Parse(seed).IsComplete, TlsHello.Parse(seed).Reason);
    }

    [Fact]
    public void Parser_ja4_and_reassembler_survive_random_and_mutated_streams()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("TLS_FUZZ_ITERATIONS"), out var n) ? n : DefaultIterations;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("TLS_FUZZ_SEED"), out var s) ? s : 20261201;
        var rng = new Random(seed);
        var seeds = Seeds();
        var buffer = new byte[20_000];
        var errors = new int[Enum.GetValues<TlsParseError>().Length];
        var reassembler = new TlsHelloReassembler(maxStreams: 64, maxHelloBytes: 4096, maxWaitNanoseconds: 50_000_000, maxBufferedBytes: 64 * 4096);
        long delivered = 0, now = 0;
        string? broken = null;
        TlsHelloHandler handler = (in TlsHelloCapture c, ReadOnlySpan<byte> bytes) =>
        {
            delivered++;
            if (bytes.Length > reassembler.MaxHelloBytes || bytes.IsEmpty)
                broken ??= $"the reassembler handed over {bytes.Length} bytes";
            var r = TlsHello.Parse(bytes);
            if (c.Outcome == TlsCaptureOutcome.Complete && r.Error is TlsParseError.Truncated)
                broken ??= $"a stream handed over as complete parses as truncated: {r.Reason}";
        };
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < iterations; i++)
        {
            var length = Mutate(rng, seeds, buffer);
            var stream = buffer.AsSpan(0, length);
            TlsHelloResult result;
            try
            {
                result = TlsHello.Parse(stream);
                if ((i & 7) == 0 && result.Client is { } hello)
                {
                    var ja4 = Ja4.Fingerprint(hello);
                    if (!Ja4Shape().IsMatch(ja4))
                        Assert.Fail($"Iteration {i} (seed {seed}): JA4 '{ja4}' has the wrong shape. Input: {Convert.ToHexString(stream)}");
                    Ja4.Raw(hello);
                    Ja4.RawOriginalOrder(hello);
                    TlsEventFields.From(result);
                }
                if ((i & 31) == 0)
                    Segments(rng, reassembler, stream, now += 1_000_000, handler);
                if ((i & 63) == 0 && length > 4 && stream[0] is 1 or 2)
                    TlsHello.ParseHandshake(stream[..Math.Min(length, 5000)]);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"Iteration {i} (seed {seed}) threw on {Convert.ToHexString(stream)}: {e}");
            }
            var problem = Inconsistency(result, length) ?? broken;
            if (problem is not null)
                Assert.Fail($"Iteration {i} (seed {seed}): {problem} Input: {Convert.ToHexString(stream)}");
            errors[(int)result.Error]++;
        }
        reassembler.Expire(long.MaxValue / 2, handler);
        clock.Stop();

        output.WriteLine($"{iterations:N0} streams in {clock.Elapsed.TotalSeconds:F1} s ({iterations / clock.Elapsed.TotalSeconds:N0}/s), seed {seed}.");
        foreach (var error in Enum.GetValues<TlsParseError>())
            output.WriteLine($"  {error}: {errors[(int)error]:N0}");
        output.WriteLine($"Reassembler: {delivered:N0} handed over; hellos {reassembler.Hellos:N0}, malformed {reassembler.Malformed:N0}, " +
                         $"incomplete {reassembler.Incomplete:N0}, not TLS {reassembler.NotTls:N0}, missing start {reassembler.MissingStart:N0}, " +
                         $"evicted {reassembler.Evicted:N0}, duplicate bytes {reassembler.DuplicateBytes:N0}, dropped bytes {reassembler.DroppedBytes:N0}");
        Assert.Equal(0, reassembler.OpenStreams);
        Assert.Equal(0, reassembler.BufferedBytes);
        Assert.Equal(delivered, reassembler.Hellos + reassembler.Malformed + reassembler.Incomplete);
        // The mutator must reach the happy path and every kind of failure, or the run proves little.
        if (iterations >= 100_000)
        {
            foreach (var kind in Enum.GetValues<TlsParseError>().Where(k => k != TlsParseError.InternalError))
                Assert.True(errors[(int)kind] > 0, $"The fuzzer never produced {kind}.");
            Assert.True(reassembler.Hellos > 0 && reassembler.Incomplete > 0 && reassembler.NotTls > 0);
        }
    }

    /// <summary>Feeds a stream to the reassembler as 1-4 segments of one flow, shuffled, some cut or repeated.</summary>
    private static void Segments(Random rng, TlsHelloReassembler reassembler, ReadOnlySpan<byte> stream, long now, TlsHelloHandler handler)
    {
        var flow = TlsFlow.Create([10, 0, (byte)rng.Next(4), (byte)rng.Next(256)], (ushort)rng.Next(1024, 65535), [10, 9, 9, 9], 443);
        uint isn = (uint)rng.NextInt64(0, 1L << 32);
        if (rng.Next(2) == 0)
            reassembler.Add(flow, isn, TlsTcpFlags.Syn, default, 0, now, handler);
        int pieces = 1 + rng.Next(4), total = stream.Length;
        var cuts = Enumerable.Range(0, pieces - 1).Select(_ => rng.Next(total + 1)).Append(0).Append(total).Distinct().Order().ToArray();
        var order = Enumerable.Range(0, cuts.Length - 1).OrderBy(_ => rng.Next()).ToList();
        if (rng.Next(4) == 0 && order.Count > 0)
            order.Add(order[rng.Next(order.Count)]); // a retransmission
        foreach (var k in order)
        {
            var piece = stream[cuts[k]..cuts[k + 1]];
            int captured = rng.Next(8) == 0 ? rng.Next(piece.Length + 1) : piece.Length;
            var flags = rng.Next(16) == 0 ? TlsTcpFlags.Fin : rng.Next(32) == 0 ? TlsTcpFlags.Rst : TlsTcpFlags.None;
            reassembler.Add(flow, isn + 1 + (uint)cuts[k], flags, piece[..captured], piece.Length, now, handler);
        }
    }

    /// <summary>Returns a sentence naming the first broken promise of a result, or null.</summary>
    private static string? Inconsistency(TlsHelloResult r, int length)
    {
        if (r.Error == TlsParseError.InternalError)
            return $"The parser hit an internal error: {r.Reason}";
        if (r.IsComplete != (r.Reason is null) || r.IsComplete != (r.ErrorOffset == -1))
            return "Reason and offset disagree with the error.";
        if (r.ErrorOffset < -1 || r.ErrorOffset > length)
            return $"The error offset {r.ErrorOffset} is outside the input of {length} bytes.";
        if (r.Kind == TlsHelloKind.ClientHello != (r.Client is not null) || r.Kind == TlsHelloKind.ServerHello != (r.Server is not null))
            return "The kind disagrees with the hello present.";
        if (r.IsComplete && r.Kind == TlsHelloKind.None)
            return "A complete parse without a hello.";
        if (r.Client is { } c)
        {
            int items = c.CipherSuites.Length * 2 + c.Extensions.Length * 4 + c.SupportedVersions.Length * 2 +
                        c.SignatureAlgorithms.Length * 2 + c.SupportedGroups.Length * 2 + c.Alpn.Length * 2;
            if (items > 2 * length)
                return "The lists hold more than the input could.";
            if (c.ServerName is { } name && (name.Length == 0 || name.Any(ch => ch is < '!' or > '~')))
                return $"The server name '{name}' is not printable ASCII.";
            if (c.Alpn.Any(p => p.Length == 0 || p.Any(ch => ch is < '!' or > '~')))
                return "An ALPN protocol is empty or not printable ASCII.";
            if (c.Random.Length is not (0 or 32) || c.SessionId.Length > 255)
                return "Random or session id of an impossible length.";
        }
        if (r.Server is { } s && (s.Alpn is { Length: 0 } || s.Random.Length is not (0 or 32)))
            return "ServerHello fields of an impossible shape.";
        return null;
    }

    private static int Mutate(Random rng, byte[][] seeds, byte[] buffer)
    {
        int length;
        var mode = rng.Next(12);
        if (mode == 0)
        {
            // Pure noise, mostly short, sometimes long; sometimes behind a plausible record header.
            length = rng.Next(4) == 0 ? rng.Next(0, 4096) : rng.Next(0, 96);
            rng.NextBytes(buffer.AsSpan(0, length));
            if (length >= 6 && rng.Next(2) == 0)
            {
                buffer[0] = 22;
                buffer[1] = 3;
                buffer[2] = (byte)rng.Next(5);
                buffer[5] = (byte)(1 + rng.Next(2));
            }
            return length;
        }

        var seed = seeds[rng.Next(seeds.Length)];
        seed.CopyTo(buffer, 0);
        length = seed.Length;
        if (mode == 1)
        {
            // Re-split the hello into records of another size (the message starts after the first record header).
            var message = buffer.AsSpan(5, Math.Min(length - 5, buffer[3] << 8 | buffer[4])).ToArray();
            var records = HelloBuilder.Records(message, 1 + rng.Next(Math.Max(1, message.Length)), 0x0301);
            records.CopyTo(buffer, 0);
            length = records.Length;
        }
        var rounds = 1 + rng.Next(3);
        for (var round = 0; round < rounds; round++)
        {
            switch (rng.Next(9))
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
                case 5: // a forged 2-byte length anywhere: small, just off, or huge
                    if (length >= 2)
                    {
                        var at = rng.Next(length - 1);
                        var value = rng.Next(4) switch { 0 => 0, 1 => 0xFFFF, 2 => rng.Next(64), _ => (buffer[at] << 8 | buffer[at + 1]) + rng.Next(-3, 4) };
                        buffer[at] = (byte)(value >> 8);
                        buffer[at + 1] = (byte)value;
                    }
                    break;
                case 6: // the record or handshake header: type, version, length
                    if (length >= 9)
                    {
                        var field = rng.Next(5);
                        if (field == 0) buffer[0] = (byte)rng.Next(20, 26);
                        else if (field == 1) buffer[2] = (byte)rng.Next(6);
                        else if (field == 2) { buffer[3] = (byte)rng.Next(0x45); buffer[4] = (byte)rng.Next(256); }
                        else if (field == 3) buffer[5] = (byte)rng.Next(4);
                        else { buffer[6] = (byte)rng.Next(3); buffer[7] = (byte)rng.Next(256); }
                    }
                    break;
                case 7: // a one-byte length (session id, compression, ALPN name, versions list) made too large or zero
                    if (length > 0)
                        buffer[rng.Next(length)] = (byte)(rng.Next(2) == 0 ? 0 : 0x20 + rng.Next(0xE0));
                    break;
                default: // duplicate a run (repeats an extension now and then)
                    if (length > 8)
                    {
                        var from = rng.Next(length - 4);
                        var run = Math.Min(4 + rng.Next(24), length - from);
                        if (length + run <= buffer.Length)
                        {
                            var at = rng.Next(length + 1);
                            var copy = buffer.AsSpan(from, run).ToArray();
                            buffer.AsSpan(at, length - at).CopyTo(buffer.AsSpan(at + run));
                            copy.CopyTo(buffer.AsSpan(at));
                            length += run;
                        }
                    }
                    break;
            }
        }
        return length;
    }
}
