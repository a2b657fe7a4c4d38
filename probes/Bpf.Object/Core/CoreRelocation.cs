namespace OsqueryBpf.Bpf.Object.Core;

/// <summary>One CO-RE relocation (a <c>bpf_core_relo</c> record from .BTF.ext) against a program's instructions.</summary>
/// <param name="InstructionIndex">Index in <see cref="ProgramSpec.Instructions"/> of the instruction to patch.</param>
/// <param name="TypeId">Root type id in the object's (local) BTF.</param>
/// <param name="AccessString">Accessor chain such as <c>0:1:3</c> (array index, then member or element indices).</param>
/// <param name="Kind">What to compute.</param>
public readonly record struct CoreRelocation(int InstructionIndex, int TypeId, string AccessString, CoreRelocationKind Kind);
