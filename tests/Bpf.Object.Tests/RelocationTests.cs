using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

public class RelocationTests
{
    private readonly CollectionSpec _spec = CollectionSpec.Parse(TestObjects.MapsAndPrograms);

    [Fact]
    public void MapReferencesPointAtPreparedLoadImm64()
    {
        foreach (var program in _spec.Programs.Values)
        {
            foreach (var reference in program.MapReferences)
            {
                var first = program.Instructions[reference.InstructionIndex];
                var second = program.Instructions[reference.InstructionIndex + 1];
                Assert.True(first.IsLoadImm64, $"{program.Name}: {reference} is not an ld_imm64");
                Assert.Contains(reference.MapName, _spec.Maps.Keys);
                Assert.Equal(reference.IsValue ? Instruction.PseudoMapValue : Instruction.PseudoMapFd, first.SrcRegister);
                Assert.Equal(_spec.Maps[reference.MapName].IsGlobalData, reference.IsValue);
                Assert.Equal((int)reference.Offset, second.Immediate);
                Assert.True(reference.Offset < _spec.Maps[reference.MapName].ValueSize || !reference.IsValue);
            }
            // No ld_imm64 with a relocation is left unprepared.
            for (var i = 0; i < program.Instructions.Length; i++)
            {
                if (program.Instructions[i].IsLoadImm64 && program.Instructions[i].SrcRegister != 0 && !program.Instructions[i].IsFunctionReference)
                    Assert.Contains(program.MapReferences, r => r.InstructionIndex == i);
            }
        }
    }

    [Fact]
    public void GlobalVariablesResolveToTheirOffsets()
    {
        // first_in_section reads ignore_tgid (.rodata), counts (map), hits (.data), zeroed (.bss) and, through
        // middle -> leaf, threshold (.rodata at the variable's offset).
        var references = _spec.Programs["first_in_section"].MapReferences;
        Assert.Contains(references, r => r is { MapName: "counts", IsValue: false });
        Assert.Contains(references, r => r.MapName == ".rodata" && r.Offset == _spec.Variables["ignore_tgid"].Offset);
        Assert.Contains(references, r => r.MapName == ".rodata" && r.Offset == _spec.Variables["threshold"].Offset);
        Assert.Contains(references, r => r.MapName == ".data" && r.Offset == _spec.Variables["hits"].Offset);
        Assert.Contains(references, r => r.MapName == ".bss" && r.Offset == _spec.Variables["zeroed"].Offset);
        Assert.Contains(_spec.Programs["second_in_section"].MapReferences,
            r => r.MapName == ".bss" && r.Offset == _spec.Variables["also_zeroed"].Offset && r.Offset != 0);
        Assert.Contains(_spec.Programs["tp_short"].MapReferences,
            r => r.MapName == ".rodata" && r.Offset == _spec.Variables["label"].Offset);
        Assert.Contains(_spec.Programs["raw_long"].MapReferences, r => r is { MapName: "events", IsValue: false });
    }
}
