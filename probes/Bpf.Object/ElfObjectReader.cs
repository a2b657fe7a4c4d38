using System.Text;
using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Bpf.Object.Elf;
using OsqueryBpf.Bpf.Object.Linking;

namespace OsqueryBpf.Bpf.Object;

/// <summary>Turns an ELF object into a <see cref="CollectionSpec"/>: maps, global data, variables, programs.</summary>
internal static class ElfObjectReader
{
    private const uint BpfFReadOnlyProg = 1u << 7; // BPF_F_RDONLY_PROG: programs may not write .rodata

    // The kernel refuses array values above KMALLOC_MAX_SIZE (4 MiB with 4 KiB pages); 16 MiB leaves room for
    // larger pages while keeping a corrupt .bss size from driving a huge allocation here.
    private const ulong MaxGlobalDataSize = 16 * 1024 * 1024;

    public static CollectionSpec Read(ReadOnlySpan<byte> input)
    {
        var elf = ElfFile.Parse(input);
        var sections = elf.Sections;

        var btfSection = sections.FirstOrDefault(s => s.Name == ".BTF");
        var btf = btfSection is null ? null : Wrap(() => BtfSpec.Parse(elf.Data(btfSection)), "the .BTF section");
        var extSection = sections.FirstOrDefault(s => s.Name == ".BTF.ext");
        var ext = extSection is null || btf is null ? null : Wrap(() => BtfExt.Parse(elf.Data(extSection), btf), "the .BTF.ext section");

        var licenseSection = sections.FirstOrDefault(s => s.Name == "license");
        var license = licenseSection is null ? "" : CString(elf.Data(licenseSection));

        if (sections.Any(s => s.Name == "maps"))
            ThrowHelper.Throw("The object uses a legacy 'maps' section (struct bpf_map_def); declare maps in '.maps' with __uint/__type instead.");

        var maps = new Dictionary<string, MapSpec>(StringComparer.Ordinal);
        var variables = new Dictionary<string, VariableSpec>(StringComparer.Ordinal);
        foreach (var section in sections)
        {
            if (!IsDataSection(section))
                continue;
            if (section.Size == 0)
                continue; // the kernel refuses value_size 0, and nothing can refer into an empty section
            if (section.Size > MaxGlobalDataSize)
                ThrowHelper.Throw($"The data section '{section.Name}' is {section.Size} bytes, larger than the {MaxGlobalDataSize} bytes a map value may have.");
            var isReadOnly = section.Name == ".rodata" || section.Name.StartsWith(".rodata.", StringComparison.Ordinal);
            var datasecId = 0;
            btf?.TryFindType(section.Name, BtfKind.DataSec, out datasecId);
            maps[section.Name] = new MapSpec
            {
                Name = section.Name,
                SectionName = section.Name,
                Type = MapType.Array,
                KeySize = 4,
                ValueSize = (uint)section.Size,
                MaxEntries = 1,
                Flags = isReadOnly ? BpfFReadOnlyProg : 0,
                Contents = section.Type == ElfFile.ShtNoBits ? new byte[section.Size] : elf.Data(section).ToArray(),
                Freeze = isReadOnly,
                BtfValueTypeId = (uint)datasecId,
                IsGlobalData = true,
            };
            if (btf is not null && datasecId != 0)
                AddVariables(btf, datasecId, section, elf, variables);
        }

        var mapsSection = sections.FirstOrDefault(s => s.Name == ".maps");
        if (mapsSection is not null)
        {
            if (btf is null)
                ThrowHelper.Throw("The object has a '.maps' section but no BTF; compile with -g so map definitions are described.");
            foreach (var map in BtfMapReader.Read(btf, mapsSection.Name))
            {
                if (!maps.TryAdd(map.Name, map))
                    ThrowHelper.Throw($"The map name '{map.Name}' is defined twice.");
            }
        }

        var programs = new ProgramLinker(elf, ext, maps, license).LinkAll();
        var btfForKernel = btf is null ? null : KernelBtfFixer.Fix(btf, elf);
        return CollectionSpec.Create(maps, programs, variables, btf, btfForKernel, license);
    }

    private static bool IsDataSection(ElfSection section)
    {
        if (section.Type is not (ElfFile.ShtProgBits or ElfFile.ShtNoBits) || (section.Flags & ElfFile.ShfAlloc) == 0)
            return false;
        var name = section.Name;
        return name is ".rodata" or ".data" or ".bss"
            || name.StartsWith(".rodata.", StringComparison.Ordinal)
            || name.StartsWith(".data.", StringComparison.Ordinal)
            || name.StartsWith(".bss.", StringComparison.Ordinal);
    }

    private static void AddVariables(BtfSpec btf, int datasecId, ElfSection section, ElfFile elf, Dictionary<string, VariableSpec> variables)
    {
        var vlen = btf.GetVlen(datasecId);
        for (var i = 0; i < vlen; i++)
        {
            var info = btf.GetVarSecInfo(datasecId, i);
            if (btf.GetKind(info.TypeId) != BtfKind.Var)
                continue;
            var name = btf.GetName(info.TypeId);
            // clang leaves VAR offsets 0 in the BTF; the symbol table has the real ones.
            var symbol = elf.Symbols.FirstOrDefault(s => s.SectionIndex == section.Index && s.Name == name && s.Type == ElfSymbol.SttObject);
            var offset = symbol is null ? info.Offset : symbol.Value;
            var size = info.Size;
            if (offset + size > section.Size)
                ThrowHelper.Throw($"The variable '{name}' (offset {offset}, size {size}) lies outside its section '{section.Name}' of {section.Size} bytes.");
            variables[name] = new VariableSpec(name, section.Name, (uint)offset, size, info.TypeId);
        }
    }

    private static string CString(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    /// <summary>Adds where the failure happened to an error from a nested parser.</summary>
    private static T Wrap<T>(Func<T> parse, string where)
    {
        try
        {
            return parse();
        }
        catch (BpfObjectException e)
        {
            throw new BpfObjectException($"Parsing {where} failed: {e.Message}", e);
        }
    }
}
