using System.Runtime.CompilerServices;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

public class InstructionTests
{
    [Fact]
    public void HasTheKernelsEightByteLayout()
    {
        Assert.Equal(8, Unsafe.SizeOf<Instruction>());
        // r1 = *(u32 *)(r10 - 16): opcode 0x61, dst 1, src 10, off -16.
        var instruction = new Instruction(0x61, 1, 10, -16, 0x12345678);
        var bytes = Instruction.AsBytes([instruction]).ToArray();
        Assert.Equal(new byte[] { 0x61, 0xa1, 0xf0, 0xff, 0x78, 0x56, 0x34, 0x12 }, bytes);
        Assert.Equal(instruction, Instruction.Read(bytes));
        var written = new byte[8];
        instruction.Write(written);
        Assert.Equal(bytes, written);
    }

    [Fact]
    public void ClassifiesInstructions()
    {
        var load = new Instruction(Instruction.LoadImm64Opcode, 1, Instruction.PseudoMapFd, 0, 7);
        Assert.True(load.IsLoadImm64);
        Assert.False(load.IsCall);
        var pseudoCall = new Instruction(Instruction.CallOpcode, 0, Instruction.PseudoCall, 0, 3);
        Assert.True(pseudoCall.IsCall && pseudoCall.IsBpfToBpfCall && !pseudoCall.IsHelperCall);
        var helper = new Instruction(Instruction.CallOpcode, 0, 0, 0, 14);
        Assert.True(helper.IsHelperCall && !helper.IsBpfToBpfCall);
        Assert.True(Instruction.Poison.IsPoisoned);
        Assert.True(new Instruction(0x79, 1, 1, 8, 0).IsMemoryLoad); // r1 = *(u64 *)(r1 + 8)
        Assert.True(new Instruction(0x7b, 1, 2, 8, 0).IsMemoryStore); // *(u64 *)(r1 + 8) = r2
        Assert.True(new Instruction(0xb7, 1, 0, 0, 5).IsAluImmediate); // r1 = 5
        Assert.False(new Instruction(0xbf, 1, 2, 0, 0).IsAluImmediate); // r1 = r2
    }

    [Fact]
    public void ReadsSixtyFourBitConstants()
    {
        Instruction[] pair = [new(Instruction.LoadImm64Opcode, 1, 0, 0, unchecked((int)0x89abcdef)), new(0, 0, 0, 0, 0x01234567)];
        Assert.Equal(0x0123456789abcdefL, Instruction.ReadImm64(pair, 0));
    }

    [Fact]
    public void RejectsCodeThatIsNotWholeInstructions()
    {
        var error = Assert.Throws<BpfObjectException>(() => Instruction.ReadAll(new byte[12], "section 'x'"));
        Assert.Contains("section 'x'", error.Message);
    }
}
