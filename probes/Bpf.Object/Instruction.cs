using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace OsqueryBpf.Bpf.Object;

/// <summary>
/// One 8-byte eBPF instruction with the kernel's <c>struct bpf_insn</c> layout (little-endian):
/// opcode, dst/src register nibbles, a signed 16-bit offset and a signed 32-bit immediate.
/// An array of instructions can be handed to the kernel as bytes with <see cref="AsBytes"/>.
/// </summary>
/// <remarks>A 64-bit immediate load (<see cref="IsLoadImm64"/>) spans two instructions; the second carries the
/// upper 32 bits of the constant in its immediate.</remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1, Size = 8)]
public readonly struct Instruction : IEquatable<Instruction>
{
    /// <summary>Size of one instruction in bytes.</summary>
    public const int Size = 8;

    /// <summary>Opcode of <c>BPF_LD | BPF_IMM | BPF_DW</c>, the 16-byte constant load.</summary>
    public const byte LoadImm64Opcode = 0x18;

    /// <summary>Opcode of <c>BPF_JMP | BPF_CALL</c>.</summary>
    public const byte CallOpcode = 0x85;

    /// <summary>Opcode of <c>BPF_JMP | BPF_EXIT</c>.</summary>
    public const byte ExitOpcode = 0x95;

    /// <summary>src_reg value of a call to another BPF function (<c>BPF_PSEUDO_CALL</c>).</summary>
    public const byte PseudoCall = 1;

    /// <summary>src_reg value of an ld_imm64 that loads a map fd (<c>BPF_PSEUDO_MAP_FD</c>).</summary>
    public const byte PseudoMapFd = 1;

    /// <summary>src_reg value of an ld_imm64 that loads the address of a map value (<c>BPF_PSEUDO_MAP_VALUE</c>).</summary>
    public const byte PseudoMapValue = 2;

    /// <summary>src_reg value of an ld_imm64 that loads the address of a BPF function (<c>BPF_PSEUDO_FUNC</c>).</summary>
    public const byte PseudoFunc = 4;

    /// <summary>Helper number that CO-RE poisoning calls; no such helper exists, so the verifier refuses it if reachable.</summary>
    public const int PoisonHelper = 0xbad2310;

    private readonly byte _opcode;
    private readonly byte _registers; // dst in the low nibble, src in the high nibble (little-endian bpf_insn)
    private readonly short _offset;
    private readonly int _immediate;

    /// <summary>Creates an instruction from its fields.</summary>
    public Instruction(byte opcode, byte dstRegister, byte srcRegister, short offset, int immediate)
    {
        _opcode = opcode;
        _registers = (byte)((dstRegister & 0x0f) | ((srcRegister & 0x0f) << 4));
        _offset = offset;
        _immediate = immediate;
    }

    /// <summary>The opcode byte (class, size/source, mode/operation).</summary>
    public byte Opcode => _opcode;

    /// <summary>Destination register (0-10).</summary>
    public byte DstRegister => (byte)(_registers & 0x0f);

    /// <summary>Source register, or a pseudo marker such as <see cref="PseudoMapFd"/> on ld_imm64 and calls.</summary>
    public byte SrcRegister => (byte)(_registers >> 4);

    /// <summary>Signed 16-bit offset (memory displacement or jump distance).</summary>
    public short Offset => _offset;

    /// <summary>Signed 32-bit immediate.</summary>
    public int Immediate => _immediate;

    /// <summary>The instruction class (low three bits of the opcode).</summary>
    public byte Class => (byte)(_opcode & 0x07);

    /// <summary>True for the first half of a 16-byte <c>ld_imm64</c>.</summary>
    public bool IsLoadImm64 => _opcode == LoadImm64Opcode;

    /// <summary>True for any call (helper, BPF-to-BPF or kfunc).</summary>
    public bool IsCall => _opcode == CallOpcode;

    /// <summary>True for a call to another BPF function in the same object.</summary>
    public bool IsBpfToBpfCall => _opcode == CallOpcode && SrcRegister == PseudoCall;

    /// <summary>True for a call to a kernel helper by number.</summary>
    public bool IsHelperCall => _opcode == CallOpcode && SrcRegister == 0;

    /// <summary>True for an ld_imm64 that loads the address of a BPF function (callbacks such as bpf_loop).</summary>
    public bool IsFunctionReference => _opcode == LoadImm64Opcode && SrcRegister == PseudoFunc;

    /// <summary>True for a load from memory (<c>BPF_LDX | BPF_MEM</c>).</summary>
    public bool IsMemoryLoad => Class == 0x01 && (_opcode & 0xe0) == 0x60;

    /// <summary>True for a store to memory (<c>BPF_ST</c> or <c>BPF_STX</c> with <c>BPF_MEM</c>).</summary>
    public bool IsMemoryStore => (Class == 0x02 || Class == 0x03) && (_opcode & 0xe0) == 0x60;

    /// <summary>True for an ALU or ALU64 operation with an immediate operand (<c>BPF_K</c>).</summary>
    public bool IsAluImmediate => (Class == 0x04 || Class == 0x07) && (_opcode & 0x08) == 0;

    /// <summary>A poisoned CO-RE relocation: a call to the nonexistent helper <see cref="PoisonHelper"/>.</summary>
    public bool IsPoisoned => _opcode == CallOpcode && SrcRegister == 0 && _immediate == PoisonHelper;

    /// <summary>Returns a copy with another immediate.</summary>
    public Instruction WithImmediate(int immediate) => new(_opcode, DstRegister, SrcRegister, _offset, immediate);

    /// <summary>Returns a copy with another offset.</summary>
    public Instruction WithOffset(short offset) => new(_opcode, DstRegister, SrcRegister, offset, _immediate);

    /// <summary>Returns a copy with another source register (or pseudo marker).</summary>
    public Instruction WithSrcRegister(byte srcRegister) => new(_opcode, DstRegister, srcRegister, _offset, _immediate);

    /// <summary>Returns a copy with another opcode.</summary>
    public Instruction WithOpcode(byte opcode) => new(opcode, DstRegister, SrcRegister, _offset, _immediate);

    /// <summary>The call to <see cref="PoisonHelper"/> that replaces an unsatisfiable CO-RE relocation.</summary>
    public static Instruction Poison => new(CallOpcode, 0, 0, 0, PoisonHelper);

    /// <summary>Reads one instruction from 8 little-endian bytes.</summary>
    public static Instruction Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Size)
            ThrowHelper.Throw($"An instruction needs {Size} bytes but only {bytes.Length} remain.");
        var registers = bytes[1];
        return new Instruction(bytes[0], (byte)(registers & 0x0f), (byte)(registers >> 4),
            BinaryPrimitives.ReadInt16LittleEndian(bytes[2..]), BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]));
    }

    /// <summary>Writes this instruction as 8 little-endian bytes.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = _opcode;
        destination[1] = _registers;
        BinaryPrimitives.WriteInt16LittleEndian(destination[2..], _offset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], _immediate);
    }

    /// <summary>Decodes a whole instruction stream; the length must be a multiple of 8.</summary>
    public static Instruction[] ReadAll(ReadOnlySpan<byte> bytes, string where)
    {
        if (bytes.Length % Size != 0)
            ThrowHelper.Throw($"The code in {where} is {bytes.Length} bytes long, which is not a whole number of {Size}-byte instructions.");
        var result = new Instruction[bytes.Length / Size];
        for (var i = 0; i < result.Length; i++)
            result[i] = Read(bytes.Slice(i * Size, Size));
        return result;
    }

    /// <summary>The kernel's view of an instruction array, without copying (the layouts are identical).</summary>
    public static ReadOnlySpan<byte> AsBytes(ReadOnlySpan<Instruction> instructions) => MemoryMarshal.AsBytes(instructions);

    /// <summary>The 64-bit constant of an ld_imm64 at <paramref name="index"/> (low half there, high half in the next slot).</summary>
    public static long ReadImm64(ReadOnlySpan<Instruction> instructions, int index) =>
        (long)(((ulong)(uint)instructions[index + 1].Immediate << 32) | (uint)instructions[index].Immediate);

    /// <inheritdoc />
    public bool Equals(Instruction other) =>
        _opcode == other._opcode && _registers == other._registers && _offset == other._offset && _immediate == other._immediate;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Instruction other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_opcode, _registers, _offset, _immediate);

    /// <summary>Equality of all fields.</summary>
    public static bool operator ==(Instruction left, Instruction right) => left.Equals(right);

    /// <summary>Inequality of any field.</summary>
    public static bool operator !=(Instruction left, Instruction right) => !left.Equals(right);

    /// <summary>A compact hex form for diagnostics: <c>op=0x18 dst=r1 src=1 off=0 imm=0</c>.</summary>
    public override string ToString() =>
        $"op=0x{_opcode:x2} dst=r{DstRegister} src={SrcRegister} off={_offset} imm={_immediate}";
}
