using OsqueryBpf.Bpf.Object;

namespace OsqueryBpf.Bpf.Tests.Infrastructure;

/// <summary>
/// A few eBPF instructions by hand (include/uapi/linux/bpf.h opcodes), so loader tests do not depend on
/// the ELF reader. Register numbers: r0 return, r1-r5 arguments, r6-r9 callee-saved, r10 frame pointer.
/// </summary>
internal static class Asm
{
    public const int MapLookupElem = 1;
    public const int GetCurrentPidTgid = 14;
    public const int RingbufOutput = 130;
    public const int RingbufReserve = 131;
    public const int RingbufSubmit = 132;
    public const int RingbufDiscard = 133;

    public static Instruction Mov64Imm(byte dst, int imm) => new(0xb7, dst, 0, 0, imm);
    public static Instruction Mov64Reg(byte dst, byte src) => new(0xbf, dst, src, 0, 0);
    public static Instruction Add64Imm(byte dst, int imm) => new(0x07, dst, 0, 0, imm);
    public static Instruction And64Imm(byte dst, int imm) => new(0x57, dst, 0, 0, imm);
    public static Instruction Rsh64Imm(byte dst, int imm) => new(0x77, dst, 0, 0, imm);
    public static Instruction Lsh64Imm(byte dst, int imm) => new(0x67, dst, 0, 0, imm);
    public static Instruction StoreImm32(byte dst, short offset, int imm) => new(0x62, dst, 0, offset, imm);
    public static Instruction StoreReg64(byte dst, short offset, byte src) => new(0x7b, dst, src, offset, 0);
    public static Instruction LoadReg64(byte dst, byte src, short offset) => new(0x79, dst, src, offset, 0);
    /// <summary>lock *(u64 *)(dst + offset) += src</summary>
    public static Instruction AtomicAdd64(byte dst, short offset, byte src) => new(0xdb, dst, src, offset, 0x00);
    /// <summary>src = atomic_fetch_add((u64 *)(dst + offset), src)</summary>
    public static Instruction AtomicFetchAdd64(byte dst, short offset, byte src) => new(0xdb, dst, src, offset, 0x01);
    public static Instruction JumpIfEqualImm(byte dst, int imm, short skip) => new(0x15, dst, 0, skip, imm);
    public static Instruction JumpIfNotEqualImm(byte dst, int imm, short skip) => new(0x55, dst, 0, skip, imm);
    public static Instruction JumpIfNotEqualReg(byte dst, byte src, short skip) => new(0x5d, dst, src, skip, 0);
    public static Instruction Call(int helper) => new(0x85, 0, 0, 0, helper);
    public static Instruction Exit() => new(0x95, 0, 0, 0, 0);

    /// <summary>dst = map (ld_imm64 with BPF_PSEUDO_MAP_FD): two instruction slots.</summary>
    public static Instruction[] LoadMapFd(byte dst, Maps.BpfMap map) =>
        [new(0x18, dst, Instruction.PseudoMapFd, 0, map.Handle.Fd), new(0, 0, 0, 0, 0)];

    /// <summary>dst = imm64: two slots.</summary>
    public static Instruction[] LoadImm64(byte dst, long imm) =>
        [new(0x18, dst, 0, 0, (int)imm), new(0, 0, 0, 0, (int)(imm >> 32))];

    /// <summary>
    /// The body that adds one to element 0 of <paramref name="counter"/> (an array of u64), then returns
    /// <paramref name="returnValue"/>.
    /// </summary>
    public static IEnumerable<Instruction> IncrementCounterAndExit(Maps.BpfMap counter, int returnValue = 0)
    {
        yield return StoreImm32(10, -4, 0); // key = 0 on the stack
        foreach (var i in LoadMapFd(1, counter))
            yield return i;
        yield return Mov64Reg(2, 10);
        yield return Add64Imm(2, -4);
        yield return Call(MapLookupElem);
        yield return JumpIfEqualImm(0, 0, 2); // NULL: skip the increment
        yield return Mov64Imm(1, 1);
        yield return AtomicAdd64(0, 0, 1);
        yield return Mov64Imm(0, returnValue);
        yield return Exit();
    }

    /// <summary>
    /// Exits (returning 0) unless the current thread id is <paramref name="tid"/>: stricter than the tgid,
    /// so the runtime's own threads cannot add hits. Clobbers r0.
    /// </summary>
    public static IEnumerable<Instruction> ExitUnlessTid(int tid)
    {
        yield return Call(GetCurrentPidTgid);
        yield return Lsh64Imm(0, 32); // keep the low half (the thread id)
        yield return Rsh64Imm(0, 32);
        yield return JumpIfEqualImm(0, tid, 2);
        yield return Mov64Imm(0, 0);
        yield return Exit();
    }

    public static ProgramSpec Program(string name, ProgramType type, IEnumerable<Instruction> instructions,
        AttachType attachType = AttachType.None, string attachTo = "", string section = "") => new()
    {
        Name = name,
        SectionName = section.Length > 0 ? section : name,
        Type = type,
        ExpectedAttachType = attachType,
        AttachTo = attachTo,
        Instructions = instructions.ToArray(),
        License = "GPL",
    };
}
