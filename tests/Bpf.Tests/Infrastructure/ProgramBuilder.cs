using OsqueryBpf.Bpf.Object;

namespace OsqueryBpf.Bpf.Tests.Infrastructure;

/// <summary>Hand assembly with named jump targets, resolved when the program is built.</summary>
internal sealed class ProgramBuilder
{
    private readonly List<Instruction> _code = [];
    private readonly Dictionary<string, int> _labels = [];
    private readonly List<(int Index, string Label)> _jumps = [];

    public ProgramBuilder Add(params IEnumerable<Instruction> instructions)
    {
        _code.AddRange(instructions);
        return this;
    }

    public ProgramBuilder Label(string name)
    {
        _labels[name] = _code.Count;
        return this;
    }

    /// <summary>A conditional or unconditional jump (opcode 0x05 = ja) to <paramref name="label"/>.</summary>
    public ProgramBuilder Jump(byte opcode, byte dst, int imm, string label, byte src = 0)
    {
        _jumps.Add((_code.Count, label));
        _code.Add(new Instruction(opcode, dst, src, 0, imm));
        return this;
    }

    public ProgramBuilder JumpIfZero(byte dst, string label) => Jump(0x15, dst, 0, label);
    public ProgramBuilder JumpIfNotZero(byte dst, string label) => Jump(0x55, dst, 0, label);
    public ProgramBuilder JumpIfNotEqual(byte dst, int imm, string label) => Jump(0x55, dst, imm, label);
    public ProgramBuilder Goto(string label) => Jump(0x05, 0, 0, label);

    /// <summary>r0 = &amp;map[key 0] or NULL. Uses the stack slot at r10-4; clobbers r1-r5.</summary>
    public ProgramBuilder LookupIndexZero(Maps.BpfMap map) =>
        Add(Asm.StoreImm32(10, -4, 0))
        .Add(Asm.LoadMapFd(1, map))
        .Add(Asm.Mov64Reg(2, 10), Asm.Add64Imm(2, -4), Asm.Call(Asm.MapLookupElem));

    public Instruction[] Build()
    {
        var code = _code.ToArray();
        foreach (var (index, label) in _jumps)
            code[index] = code[index].WithOffset((short)(_labels[label] - index - 1));
        return code;
    }
}
