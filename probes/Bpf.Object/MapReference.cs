namespace OsqueryBpf.Bpf.Object;

/// <summary>
/// An <c>ld_imm64</c> in a program's instruction stream that must receive a map's file descriptor before loading.
/// The parser has already set the instruction's src_reg (<see cref="Instruction.PseudoMapFd"/> or
/// <see cref="Instruction.PseudoMapValue"/>) and, for values, put <paramref name="Offset"/> in the immediate of the
/// second half; the kernel layer only writes the fd into the first half's immediate.
/// </summary>
/// <param name="InstructionIndex">Index of the first half of the ld_imm64 in <see cref="ProgramSpec.Instructions"/>.</param>
/// <param name="MapName">Key of the map in <see cref="CollectionSpec.Maps"/> (a <c>.maps</c> variable or a data section such as <c>.rodata</c>).</param>
/// <param name="Offset">Byte offset into the map value (global data only; 0 for map fds).</param>
/// <param name="IsValue">True for BPF_PSEUDO_MAP_VALUE (address of global data), false for BPF_PSEUDO_MAP_FD.</param>
public readonly record struct MapReference(int InstructionIndex, string MapName, uint Offset, bool IsValue);
