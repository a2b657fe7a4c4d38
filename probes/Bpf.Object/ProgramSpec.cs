namespace OsqueryBpf.Bpf.Object;

/// <summary>
/// One program of an object, ready for BPF_PROG_LOAD once map fds are patched in (<see cref="MapReferences"/>) and
/// CO-RE relocations are applied (<see cref="Core.CoreRelocator.Apply"/>). Subprograms it calls (from <c>.text</c>
/// or its own section) are already linked into <see cref="Instructions"/>, with func_info and line_info adjusted.
/// </summary>
public sealed class ProgramSpec
{
    /// <summary>The function name (the FUNC symbol), unique in the object.</summary>
    public required string Name { get; init; }

    /// <summary>The ELF section, such as <c>tracepoint/syscalls/sys_enter_openat</c> or <c>tp_btf/sched_process_exec</c>.</summary>
    public required string SectionName { get; init; }

    /// <summary>Program type derived from the section name.</summary>
    public ProgramType Type { get; init; }

    /// <summary>Expected attach type for BPF_PROG_LOAD (for example <see cref="AttachType.TraceRawTracepoint"/> for tp_btf).</summary>
    public AttachType ExpectedAttachType { get; init; }

    /// <summary>
    /// What to attach to, from the section name: <c>category/name</c> for tracepoints, the tracepoint name for raw and
    /// BTF tracepoints, empty for socket filters.
    /// </summary>
    public string AttachTo { get; init; } = "";

    /// <summary>The linked instruction stream (program first, then called subprograms).</summary>
    public Instruction[] Instructions { get; set; } = [];

    /// <summary>The object's license string (from the <c>license</c> section).</summary>
    public string License { get; init; } = "";

    /// <summary>ld_imm64 instructions that need a map fd.</summary>
    public IReadOnlyList<MapReference> MapReferences { get; init; } = [];

    /// <summary>bpf_func_info records (insn_off in instructions, type_id), ready for BPF_PROG_LOAD; empty without BTF.ext.</summary>
    public byte[] FuncInfo { get; init; } = [];

    /// <summary>Size of one func_info record (8 today).</summary>
    public uint FuncInfoRecordSize { get; init; }

    /// <summary>bpf_line_info records (insn_off in instructions), ready for BPF_PROG_LOAD; empty without BTF.ext.</summary>
    public byte[] LineInfo { get; init; } = [];

    /// <summary>Size of one line_info record (16 today).</summary>
    public uint LineInfoRecordSize { get; init; }

    /// <summary>CO-RE relocations against <see cref="Instructions"/>, still to be applied against the target kernel's BTF.</summary>
    public IReadOnlyList<Core.CoreRelocation> CoreRelocations { get; init; } = [];

    /// <summary>A deep copy (instructions and info arrays are copied).</summary>
    public ProgramSpec Clone() => WithInstructions((Instruction[])Instructions.Clone());

    /// <summary>A copy that uses <paramref name="instructions"/> (for example the result of CO-RE relocation).</summary>
    public ProgramSpec WithInstructions(Instruction[] instructions) => WithInstructions(instructions, withCoreRelocations: true);

    internal ProgramSpec WithInstructions(Instruction[] instructions, bool withCoreRelocations) => new()
    {
        Name = Name,
        SectionName = SectionName,
        Type = Type,
        ExpectedAttachType = ExpectedAttachType,
        AttachTo = AttachTo,
        Instructions = instructions,
        License = License,
        MapReferences = MapReferences,
        FuncInfo = (byte[])FuncInfo.Clone(),
        FuncInfoRecordSize = FuncInfoRecordSize,
        LineInfo = (byte[])LineInfo.Clone(),
        LineInfoRecordSize = LineInfoRecordSize,
        CoreRelocations = withCoreRelocations ? CoreRelocations : [],
    };

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({SectionName}, {Type}, {Instructions.Length} instructions)";
}
