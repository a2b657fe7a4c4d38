using System.Buffers.Binary;
using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Bpf.Object.Core;
using OsqueryBpf.Bpf.Object.Elf;

namespace OsqueryBpf.Bpf.Object.Linking;

/// <summary>
/// Builds each program's instruction stream: the entry function, then every function it calls (directly or
/// through others) from <c>.text</c> or its own section, appended once each, as libbpf does. Call immediates are
/// rewritten for the new layout; map references, func_info, line_info and CO-RE relocations of every appended
/// function are carried over with shifted instruction indices.
/// </summary>
internal sealed class ProgramLinker
{
    private readonly ElfFile _elf;
    private readonly BtfExt? _ext;
    private readonly IReadOnlyDictionary<string, MapSpec> _maps;
    private readonly string _license;
    private readonly Dictionary<int, CodeSection> _code = [];

    public ProgramLinker(ElfFile elf, BtfExt? ext, IReadOnlyDictionary<string, MapSpec> maps, string license)
    {
        _elf = elf;
        _ext = ext;
        _maps = maps;
        _license = license;
        foreach (var section in elf.Sections)
        {
            if (section.IsExecutable && section.Size > 0)
                _code[section.Index] = new CodeSection(section, elf);
        }
        foreach (var rel in elf.Sections.Where(s => s.Type == ElfFile.ShtRel))
        {
            if (_code.TryGetValue((int)rel.Info, out var target))
                target.AddRelocations(elf.Relocations(rel));
        }
        if (elf.Sections.Any(s => s.Type == ElfFile.ShtRela && s.Info < elf.Sections.Count && elf.Sections[(int)s.Info].IsExecutable))
            ThrowHelper.Throw("The object has SHT_RELA relocations for code; BPF objects use SHT_REL.");
    }

    public Dictionary<string, ProgramSpec> LinkAll()
    {
        var programs = new Dictionary<string, ProgramSpec>(StringComparer.Ordinal);
        foreach (var code in _code.Values)
        {
            if (code.Section.Name == ".text" || code.Section.Name.StartsWith(".text.", StringComparison.Ordinal))
                continue; // subprograms only
            if (!SectionNames.TryParse(code.Section.Name, out var type, out var attach, out var attachTo))
                ThrowHelper.Throw($"The program section '{code.Section.Name}' has an unsupported name; use tracepoint/<category>/<name>, tp/..., raw_tracepoint/<name>, raw_tp/<name>, tp_btf/<name> or socket.");
            foreach (var function in code.Functions)
            {
                var program = Link(code, function, type, attach, attachTo);
                if (!programs.TryAdd(program.Name, program))
                    ThrowHelper.Throw($"Two programs are named '{program.Name}'.");
            }
        }
        return programs;
    }

    private ProgramSpec Link(CodeSection entrySection, Function entry, ProgramType type, AttachType attach, string attachTo)
    {
        var output = new List<Instruction>();
        var mapReferences = new List<MapReference>();
        var funcInfo = new List<byte>();
        var lineInfo = new List<byte>();
        var core = new List<CoreRelocation>();
        var placed = new Dictionary<(int Section, int Start), int>();
        var queue = new Queue<(CodeSection Section, Function Function, int Position)>();

        int Place(CodeSection section, Function function)
        {
            if (placed.TryGetValue((section.Section.Index, function.Start), out var at))
                return at;
            at = output.Count;
            placed[(section.Section.Index, function.Start)] = at;
            for (var i = function.Start; i < function.End; i++)
                output.Add(section.Instructions[i]);
            queue.Enqueue((section, function, at));
            return at;
        }

        Place(entrySection, entry);
        while (queue.Count > 0)
        {
            var (section, function, position) = queue.Dequeue();
            for (var i = function.Start; i < function.End; i++)
            {
                var newIndex = position + (i - function.Start);
                var instruction = output[newIndex];
                var hasRelocation = section.Relocations.TryGetValue(i, out var relocation);

                if (instruction.IsLoadImm64)
                {
                    if (i + 1 >= function.End)
                        ThrowHelper.Throw($"The ld_imm64 at instruction {i} of '{section.Section.Name}' is cut off by the end of function '{function.Name}'.");
                    if (hasRelocation)
                        RelocateLoad(section, i, newIndex, relocation, output, mapReferences, queue, Place);
                    i++; // skip the second half
                    continue;
                }
                if (instruction.IsBpfToBpfCall)
                {
                    CodeSection targetSection;
                    long targetIndex;
                    if (hasRelocation)
                    {
                        // Global functions: symbol value with imm -1; static ones: section symbol with imm = offset - 1.
                        targetSection = CodeAt(relocation.Symbol, section, i);
                        targetIndex = (long)(relocation.Symbol.Value / Instruction.Size) + instruction.Immediate + 1;
                    }
                    else
                    {
                        targetSection = section; // pc-relative within the same section
                        targetIndex = (long)i + instruction.Immediate + 1;
                    }
                    var callee = targetSection.FunctionAt(targetIndex, section.Section.Name, i);
                    var calleeAt = Place(targetSection, callee);
                    var newTarget = calleeAt + (int)(targetIndex - callee.Start);
                    output[newIndex] = instruction.WithImmediate(newTarget - newIndex - 1);
                    continue;
                }
                if (hasRelocation && relocation.Type is ElfRelocation.RBpf64_64 or ElfRelocation.RBpf64_32)
                    ThrowHelper.Throw($"Instruction {i} of '{section.Section.Name}' ({instruction}) has a relocation against '{relocation.Symbol.Name}' but is neither an ld_imm64 nor a call.");
            }
            CopyExtRecords(section.Section.Name, function, position, funcInfo, lineInfo, core);
        }

        mapReferences.Sort((a, b) => a.InstructionIndex.CompareTo(b.InstructionIndex));
        return new ProgramSpec
        {
            Name = entry.Name,
            SectionName = entrySection.Section.Name,
            Type = type,
            ExpectedAttachType = attach,
            AttachTo = attachTo,
            Instructions = [.. output],
            License = _license,
            MapReferences = mapReferences,
            FuncInfo = [.. funcInfo],
            FuncInfoRecordSize = _ext?.FuncInfoRecordSize ?? 0,
            LineInfo = [.. lineInfo],
            LineInfoRecordSize = _ext?.LineInfoRecordSize ?? 0,
            CoreRelocations = core,
        };
    }

    private void RelocateLoad(CodeSection section, int index, int newIndex, ElfRelocation relocation, List<Instruction> output,
        List<MapReference> mapReferences, Queue<(CodeSection, Function, int)> queue, Func<CodeSection, Function, int> place)
    {
        var symbol = relocation.Symbol;
        if (relocation.Type != ElfRelocation.RBpf64_64)
            ThrowHelper.Throw($"The ld_imm64 at instruction {index} of '{section.Section.Name}' has relocation type {relocation.Type}, expected R_BPF_64_64.");
        if (symbol.SectionIndex == 0 || symbol.SectionIndex >= _elf.Sections.Count)
            ThrowHelper.Throw($"The ld_imm64 at instruction {index} of '{section.Section.Name}' refers to '{symbol.Name}', which is not defined in this object (extern, .kconfig and .ksyms are not supported).");
        var target = _elf.Sections[symbol.SectionIndex];
        var first = output[newIndex];
        var second = output[newIndex + 1];
        if (target.Name == ".maps")
        {
            if (!_maps.ContainsKey(symbol.Name))
                ThrowHelper.Throw($"Instruction {index} of '{section.Section.Name}' refers to map '{symbol.Name}', which is not defined in '.maps'.");
            output[newIndex] = first.WithSrcRegister(Instruction.PseudoMapFd).WithImmediate(0);
            output[newIndex + 1] = second.WithImmediate(0);
            mapReferences.Add(new MapReference(newIndex, symbol.Name, 0, IsValue: false));
            return;
        }
        if (_maps.TryGetValue(target.Name, out var data) && data.IsGlobalData)
        {
            // Static data is referenced through the section symbol with the offset in imm; globals through
            // their own symbol, whose value adds to imm (normally 0).
            var offset = (long)first.Immediate + (symbol.Type == ElfSymbol.SttSection ? 0 : (long)symbol.Value);
            if (offset < 0 || offset >= data.ValueSize)
                ThrowHelper.Throw($"Instruction {index} of '{section.Section.Name}' refers to offset {offset} of '{target.Name}', outside its {data.ValueSize} bytes.");
            output[newIndex] = first.WithSrcRegister(Instruction.PseudoMapValue).WithImmediate(0);
            output[newIndex + 1] = second.WithImmediate((int)offset);
            mapReferences.Add(new MapReference(newIndex, target.Name, (uint)offset, IsValue: true));
            return;
        }
        if (_code.TryGetValue(target.Index, out var code))
        {
            // Address of a BPF function (a callback for bpf_loop and friends): BPF_PSEUDO_FUNC, pc-relative.
            var byteOffset = (long)symbol.Value + first.Immediate;
            if (byteOffset % Instruction.Size != 0)
                ThrowHelper.Throw($"Instruction {index} of '{section.Section.Name}' refers to '{symbol.Name}' at a misaligned offset.");
            var targetIndex = byteOffset / Instruction.Size;
            var callee = code.FunctionAt(targetIndex, section.Section.Name, index);
            var calleeAt = place(code, callee);
            var newTarget = calleeAt + (int)(targetIndex - callee.Start);
            output[newIndex] = first.WithSrcRegister(Instruction.PseudoFunc).WithImmediate(newTarget - newIndex - 1);
            output[newIndex + 1] = second.WithImmediate(0);
            return;
        }
        ThrowHelper.Throw($"Instruction {index} of '{section.Section.Name}' refers to '{symbol.Name}' in section '{target.Name}', which is neither a map, global data nor code.");
    }

    private CodeSection CodeAt(ElfSymbol symbol, CodeSection from, int index)
    {
        if (!_code.TryGetValue(symbol.SectionIndex, out var section))
            ThrowHelper.Throw($"The call at instruction {index} of '{from.Section.Name}' targets '{symbol.Name}', which is not in a code section of this object.");
        return section;
    }

    private void CopyExtRecords(string sectionName, Function function, int position,
        List<byte> funcInfo, List<byte> lineInfo, List<CoreRelocation> core)
    {
        if (_ext is null)
            return;
        var shift = position - function.Start;
        if (_ext.FuncInfos.TryGetValue(sectionName, out var funcs))
            AppendRecords(funcs, function, shift, funcInfo);
        if (_ext.LineInfos.TryGetValue(sectionName, out var lines))
            AppendRecords(lines, function, shift, lineInfo);
        if (_ext.CoreRelocations.TryGetValue(sectionName, out var relocations))
        {
            foreach (var relocation in relocations)
            {
                if (relocation.InstructionIndex >= function.Start && relocation.InstructionIndex < function.End)
                    core.Add(relocation with { InstructionIndex = relocation.InstructionIndex + shift });
            }
        }
    }

    private static void AppendRecords(List<ExtRecord> records, Function function, int shift, List<byte> output)
    {
        foreach (var record in records)
        {
            if (record.InstructionIndex < function.Start || record.InstructionIndex >= function.End)
                continue;
            var bytes = (byte[])record.Bytes.Clone();
            // The kernel wants insn_off in instructions, not bytes as in the object file.
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)(record.InstructionIndex + shift));
            output.AddRange(bytes);
        }
    }

    /// <summary>One function of a code section: instructions [Start, End).</summary>
    private readonly record struct Function(string Name, int Start, int End);

    private sealed class CodeSection
    {
        public CodeSection(ElfSection section, ElfFile elf)
        {
            Section = section;
            Instructions = Instruction.ReadAll(elf.Data(section), $"section '{section.Name}'");
            var symbols = elf.Symbols
                .Where(s => s.SectionIndex == section.Index && s.Type == ElfSymbol.SttFunc)
                .OrderBy(s => s.Value)
                .ToList();
            var functions = new List<Function>();
            for (var i = 0; i < symbols.Count; i++)
            {
                var symbol = symbols[i];
                if (symbol.Value % Instruction.Size != 0 || symbol.Value / Instruction.Size >= (ulong)Instructions.Length)
                    ThrowHelper.Throw($"The function '{symbol.Name}' starts at offset {symbol.Value}, outside or misaligned in section '{section.Name}'.");
                var start = (int)(symbol.Value / Instruction.Size);
                if (functions.Count > 0 && functions[^1].Start == start)
                    continue; // an alias of the previous function
                var next = i + 1 < symbols.Count ? (int)Math.Min(symbols[i + 1].Value / Instruction.Size, (ulong)Instructions.Length) : Instructions.Length;
                var end = symbol.Size > 0 ? (int)Math.Min((symbol.Value + symbol.Size) / Instruction.Size, (ulong)Instructions.Length) : next;
                if (end <= start)
                    ThrowHelper.Throw($"The function '{symbol.Name}' in section '{section.Name}' is empty.");
                functions.Add(new Function(symbol.Name, start, end));
            }
            if (functions.Count == 0)
                functions.Add(new Function(section.Name, 0, Instructions.Length)); // no symbols: the section is one function
            Functions = functions;
        }

        public ElfSection Section { get; }
        public Instruction[] Instructions { get; }
        public List<Function> Functions { get; }
        public Dictionary<int, ElfRelocation> Relocations { get; } = [];

        public void AddRelocations(ElfRelocation[] relocations)
        {
            foreach (var relocation in relocations)
            {
                if (relocation.Offset % Instruction.Size != 0 || relocation.Offset / Instruction.Size >= (ulong)Instructions.Length)
                    ThrowHelper.Throw($"A relocation in '{Section.Name}' at offset {relocation.Offset} is outside or misaligned in the section.");
                Relocations[(int)(relocation.Offset / Instruction.Size)] = relocation;
            }
        }

        public Function FunctionAt(long index, string fromSection, int fromIndex)
        {
            foreach (var function in Functions)
            {
                if (index >= function.Start && index < function.End)
                    return function;
            }
            return ThrowHelper.Throw<Function>($"The call or function reference at instruction {fromIndex} of '{fromSection}' targets instruction {index} of '{Section.Name}', which is not inside any function.");
        }
    }
}
