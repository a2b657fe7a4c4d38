using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Bpf.Object.Core;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

/// <summary>
/// Truncated and randomly corrupted objects and BTF blobs must parse or throw <see cref="BpfObjectException"/>:
/// never another exception type, never a hang. Seeds are fixed so a failure reproduces.
/// </summary>
public class FuzzTests
{
    private static readonly TimeSpan s_budget = TimeSpan.FromMinutes(10); // generous: a hang, not slowness, fails

    // BPF_OBJECT_FUZZ_SCALE=N runs N times as many iterations (and a different seed per N) for a longer local soak.
    private static readonly int s_scale = int.TryParse(Environment.GetEnvironmentVariable("BPF_OBJECT_FUZZ_SCALE"), out var scale) && scale > 0 ? scale : 1;

    [Theory]
    [InlineData("maps_and_programs.bpf.o")]
    [InlineData("core.bpf.o")]
    public void EveryTruncationOfAnObjectIsAClearError(string name)
    {
        var elf = TestObjects.Resource(name);
        RunWithin(() =>
        {
            for (var length = 0; length < elf.Length; length++)
                Assert.Throws<BpfObjectException>(() => Exercise(elf.AsSpan(0, length).ToArray()));
        });
    }

    [Theory]
    [InlineData("maps_and_programs.bpf.o", 1)]
    [InlineData("core.bpf.o", 2)]
    [InlineData("core_kernel.bpf.o", 3)]
    public void RandomlyCorruptedObjectsParseOrThrowBpfObjectException(string name, int seed)
    {
        var original = TestObjects.Resource(name);
        var interesting = InterestingRanges(original);
        RunWithin(() =>
        {
            var random = new Random(seed * s_scale);
            var (parsed, rejected) = (0, 0);
            for (var iteration = 0; iteration < 4000 * s_scale; iteration++)
            {
                var corrupted = Corrupt(original, random, interesting);
                if (ParsesOrThrowsCleanly(() => Exercise(corrupted), $"{name} iteration {iteration}"))
                    parsed++;
                else
                    rejected++;
            }
            // Both outcomes must occur, or the corruption is not reaching the parser.
            Assert.True(parsed > 100 && rejected > 100, $"parsed {parsed}, rejected {rejected}");
        });
    }

    [Fact]
    public void RandomlyCorruptedBtfParsesOrThrowsBpfObjectException()
    {
        var blobs = new[] { TestObjects.TargetBtf, BtfSection(TestObjects.Core) };
        RunWithin(() =>
        {
            var random = new Random(4 * s_scale);
            foreach (var blob in blobs)
            {
                for (var length = 0; length < blob.Length; length += 3)
                    ParsesOrThrowsCleanly(() => WalkBtf(BtfSpec.Parse(blob.AsSpan(0, length))), $"BTF truncated to {length}");
                for (var iteration = 0; iteration < 3000 * s_scale; iteration++)
                {
                    var corrupted = Corrupt(blob, random);
                    ParsesOrThrowsCleanly(() => WalkBtf(BtfSpec.Parse(corrupted)), $"BTF iteration {iteration}");
                }
            }
        });
    }

    [Fact]
    public void CorruptedTargetBtfNeverBreaksCoreRelocation()
    {
        var spec = CollectionSpec.Parse(TestObjects.Core);
        var local = Assert.IsType<BtfSpec>(spec.Btf);
        var program = spec.Programs["core_reads"];
        var target = TestObjects.TargetBtf;
        RunWithin(() =>
        {
            var random = new Random(5 * s_scale);
            for (var iteration = 0; iteration < 2000 * s_scale; iteration++)
            {
                var corrupted = Corrupt(target, random);
                ParsesOrThrowsCleanly(() => CoreRelocator.Apply(program, local, BtfSpec.Parse(corrupted)), $"target iteration {iteration}");
            }
        });
    }

    private static bool ParsesOrThrowsCleanly(Action action, string what)
    {
        try
        {
            action();
            return true;
        }
        catch (BpfObjectException)
        {
            return false;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} instead of BpfObjectException: {e}");
            return false;
        }
    }

    /// <summary>Parses an object and uses everything in it the way a loader would.</summary>
    private static void Exercise(byte[] elf)
    {
        var spec = CollectionSpec.Parse(elf);
        var target = BtfSpec.Parse(TestObjects.TargetBtf);
        foreach (var program in spec.Programs.Values)
        {
            _ = Instruction.AsBytes(program.Instructions).Length;
            if (spec.Btf is not null && program.CoreRelocations.Count > 0)
                CoreRelocator.Apply(program, spec.Btf, target);
        }
        if (spec.Btf is not null)
            WalkBtf(spec.Btf);
    }

    private static void WalkBtf(BtfSpec btf)
    {
        for (var id = 1; id <= btf.TypeCount; id++)
        {
            var kind = btf.GetKind(id);
            _ = btf.GetName(id);
            btf.TryGetTypeSize(id, out _);
            switch (kind)
            {
                case BtfKind.Struct or BtfKind.Union:
                    for (var i = 0; i < btf.GetVlen(id); i++)
                        _ = btf.GetMember(id, i);
                    break;
                case BtfKind.Enum or BtfKind.Enum64:
                    for (var i = 0; i < btf.GetVlen(id); i++)
                        _ = btf.GetEnumValue(id, i);
                    break;
                case BtfKind.Typedef or BtfKind.Pointer or BtfKind.Const or BtfKind.Volatile:
                    _ = btf.SkipQualifiers(id);
                    break;
                case BtfKind.Array:
                    _ = btf.GetArray(id);
                    break;
            }
            btf.TryFindType(btf.GetName(id), kind, out _);
        }
    }

    /// <summary>
    /// Byte ranges the parser reads (ELF header, section headers, symbols, strings, code, relocations, BTF,
    /// BTF.ext, maps), so corruption is not wasted on DWARF, which is never read.
    /// </summary>
    private static List<(int Start, int Length)> InterestingRanges(byte[] elf)
    {
        var file = Elf.ElfFile.Parse(elf);
        var ranges = new List<(int, int)> { (0, 64) };
        var shoff = (int)BitConverter.ToUInt64(elf, 0x28);
        ranges.Add((shoff, file.Sections.Count * 64));
        foreach (var section in file.Sections)
        {
            if (section.Type != Elf.ElfFile.ShtNoBits && section.Size > 0 && !section.Name.StartsWith(".debug", StringComparison.Ordinal) &&
                !section.Name.StartsWith(".rel.debug", StringComparison.Ordinal))
                ranges.Add(((int)section.Offset, (int)section.Size));
        }
        return ranges;
    }

    /// <summary>1 to 8 random bytes replaced, sometimes with values that make good lengths and offsets.</summary>
    private static byte[] Corrupt(byte[] original, Random random, List<(int Start, int Length)>? ranges = null)
    {
        var copy = (byte[])original.Clone();
        var hits = random.Next(1, 9);
        for (var i = 0; i < hits; i++)
        {
            int at;
            if (ranges is null)
            {
                at = random.Next(copy.Length);
            }
            else
            {
                var (start, length) = ranges[random.Next(ranges.Count)];
                at = start + random.Next(length);
            }
            copy[at] = random.Next(4) switch
            {
                0 => 0,
                1 => 0xff,
                2 => (byte)(copy[at] ^ (1 << random.Next(8))),
                _ => (byte)random.Next(256),
            };
        }
        return copy;
    }

    private static byte[] BtfSection(byte[] elf)
    {
        // The .BTF of an object, found through the parsed spec (its blob is the section's bytes).
        var spec = CollectionSpec.Parse(elf);
        return Assert.IsType<BtfSpec>(spec.Btf).RawBytes.ToArray();
    }

    private static void RunWithin(Action action)
    {
        var task = Task.Run(action);
        Assert.True(task.Wait(s_budget), $"the fuzz loop did not finish within {s_budget} (a hang?)");
        task.GetAwaiter().GetResult();
    }
}
