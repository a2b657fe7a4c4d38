using OsqueryBpf.Containers.Attribution;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.Probes.Runtime;
using Xunit;
using static OsqueryBpf.Probes.Tests.RecordBuilder;

namespace OsqueryBpf.Probes.Tests.Decoding;

/// <summary>Damaged records: a decoder answers true or false, never throws, and never reads past the record.</summary>
public sealed class DecoderRobustnessTests
{
    private static readonly IRecordDecoder[] Decoders =
    [
        new ProcessRecordDecoder(new ProcessSettings(), new BootClock(0), new ContainerMap(walk: () => null)),
        new FileRecordDecoder(new BootClock(0), new ContainerMap(walk: () => null)),
    ];

    [Fact]
    public void Random_and_mutated_records_never_throw()
    {
        var random = new Random(99);
        byte[][] seeds =
        [
            Exec(new Header(), 0, 1, 1, Utf8("/bin/x"), Utf8("/"), Argv(Utf8("x"), Utf8("y"))),
            Exit(new Header(), 0x100, 1),
            Fork(new Header()),
            File(new Header(), new FileFields { Path = Utf8("/a/b"), Dest = Utf8("/c"), Exe = Utf8("/bin/mv"), Syscall = 9, Action = 5 }),
        ];
        int accepted = 0, refused = 0;
        for (int round = 0; round < 20_000; round++)
        {
            var seed = seeds[round % seeds.Length];
            byte[] record;
            if (round % 4 == 3)
            {
                record = new byte[random.Next(0, 300)];
                random.NextBytes(record);
            }
            else
            {
                // Cut, and flip a few bytes of a valid record.
                record = seed.AsSpan(0, random.Next(0, seed.Length + 1)).ToArray();
                for (int flips = random.Next(0, 4); flips > 0 && record.Length > 0; flips--)
                    record[random.Next(record.Length)] = (byte)random.Next(256);
            }
            foreach (var decoder in Decoders)
            {
                if (decoder.TryDecode(record, out var evt, out var error))
                {
                    Assert.NotNull(evt);
                    accepted++;
                }
                else
                {
                    Assert.False(string.IsNullOrWhiteSpace(error));
                    refused++;
                }
            }
        }
        Assert.True(accepted > 0 && refused > 0, $"accepted {accepted}, refused {refused}: both paths must be taken.");
    }
}
