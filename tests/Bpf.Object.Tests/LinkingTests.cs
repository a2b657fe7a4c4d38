using System.Buffers.Binary;
using OsqueryBpf.Bpf.Object.Btf;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

public class LinkingTests
{
    private readonly CollectionSpec _spec = CollectionSpec.Parse(TestObjects.MapsAndPrograms);

    /// <summary>func_info records as (instruction index, FUNC name).</summary>
    private List<(int Index, string Name)> Functions(ProgramSpec program)
    {
        var btf = Assert.IsType<BtfSpec>(_spec.Btf);
        Assert.Equal(8u, program.FuncInfoRecordSize);
        var result = new List<(int, string)>();
        for (var at = 0; at < program.FuncInfo.Length; at += (int)program.FuncInfoRecordSize)
        {
            var index = (int)BinaryPrimitives.ReadUInt32LittleEndian(program.FuncInfo.AsSpan(at));
            var typeId = (int)BinaryPrimitives.ReadUInt32LittleEndian(program.FuncInfo.AsSpan(at + 4));
            Assert.Equal(BtfKind.Func, btf.GetKind(typeId));
            result.Add((index, btf.GetName(typeId)));
        }
        return result;
    }

    [Fact]
    public void CalledSubprogramsAreAppendedOnceEach()
    {
        // first_in_section -> middle -> leaf (twice): three functions, leaf appended once.
        var program = _spec.Programs["first_in_section"];
        var functions = Functions(program);
        Assert.Equal(["first_in_section", "middle", "leaf"], functions.Select(f => f.Name).OrderBy(n => n == "first_in_section" ? 0 : n == "middle" ? 1 : 2));
        Assert.Equal(3, functions.Count);
        Assert.Equal(0, functions[0].Index);
        Assert.Equal("first_in_section", functions[0].Name);
        AssertCallsLandOnFunctionStarts(program, functions);
    }

    [Fact]
    public void EveryProgramGetsItsOwnCopyOfSharedSubprograms()
    {
        Assert.Equal(["global_helper", "leaf", "second_in_section"], Functions(_spec.Programs["second_in_section"]).Select(f => f.Name).Order());
        Assert.Equal(["leaf", "middle", "raw_long"], Functions(_spec.Programs["raw_long"]).Select(f => f.Name).Order());
        Assert.Equal(["btf_tp", "global_helper"], Functions(_spec.Programs["btf_tp"]).Select(f => f.Name).Order());
        Assert.Single(Functions(_spec.Programs["sock_filter"]));
        foreach (var program in _spec.Programs.Values)
            AssertCallsLandOnFunctionStarts(program, Functions(program));
    }

    [Fact]
    public void SubprogramMapReferencesMoveWithTheSubprogram()
    {
        // leaf reads threshold; wherever leaf lands, its ld_imm64 is recorded at the shifted index.
        var program = _spec.Programs["second_in_section"];
        var leafStart = Functions(program).Single(f => f.Name == "leaf").Index;
        var threshold = program.MapReferences.Single(r => r.MapName == ".rodata");
        Assert.True(threshold.InstructionIndex > leafStart, "the threshold reference should be inside leaf");
        Assert.True(program.Instructions[threshold.InstructionIndex].IsLoadImm64);
    }

    [Fact]
    public void CallbackAddressesAreLinkedLikeCalls()
    {
        // bpf_loop(4, loop_step, ...): the ld_imm64 of loop_step becomes BPF_PSEUDO_FUNC with a relative target.
        var program = _spec.Programs["with_callback"];
        var functions = Functions(program);
        var step = functions.Single(f => f.Name == "loop_step");
        var index = Array.FindIndex(program.Instructions, i => i.IsFunctionReference);
        Assert.True(index >= 0, "no BPF_PSEUDO_FUNC ld_imm64");
        Assert.Equal(step.Index, index + program.Instructions[index].Immediate + 1);
        Assert.Empty(program.MapReferences);
    }

    [Fact]
    public void LineInfoIsSortedAndInsideTheProgram()
    {
        foreach (var program in _spec.Programs.Values)
        {
            Assert.Equal(16u, program.LineInfoRecordSize);
            Assert.NotEmpty(program.LineInfo);
            var previous = -1;
            for (var at = 0; at < program.LineInfo.Length; at += 16)
            {
                var index = (int)BinaryPrimitives.ReadUInt32LittleEndian(program.LineInfo.AsSpan(at));
                Assert.InRange(index, previous, program.Instructions.Length - 1);
                previous = index;
            }
            // Each function starts with a line: the kernel requires it.
            var lines = Enumerable.Range(0, program.LineInfo.Length / 16)
                .Select(i => (int)BinaryPrimitives.ReadUInt32LittleEndian(program.LineInfo.AsSpan(i * 16))).ToHashSet();
            Assert.All(Functions(program), f => Assert.Contains(f.Index, lines));
        }
    }

    private static void AssertCallsLandOnFunctionStarts(ProgramSpec program, List<(int Index, string Name)> functions)
    {
        var starts = functions.Select(f => f.Index).ToHashSet();
        var calls = 0;
        for (var i = 0; i < program.Instructions.Length; i++)
        {
            var instruction = program.Instructions[i];
            if (!instruction.IsBpfToBpfCall && !instruction.IsFunctionReference)
                continue;
            calls++;
            var target = i + instruction.Immediate + 1;
            Assert.True(starts.Contains(target), $"{program.Name}: the call or callback at {i} lands on {target}, not a function start");
        }
        Assert.Equal(functions.Count > 1, calls > 0);
    }
}
