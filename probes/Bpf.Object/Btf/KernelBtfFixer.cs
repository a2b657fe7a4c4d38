using System.Buffers.Binary;
using OsqueryBpf.Bpf.Object.Elf;

namespace OsqueryBpf.Bpf.Object.Btf;

/// <summary>
/// Prepares an object's BTF for BPF_BTF_LOAD. clang emits every DATASEC with size 0 and its variables at offset 0,
/// leaving the real layout to the loader (libbpf does the same fix-up): the kernel refuses such BTF, so sizes come
/// from the ELF section headers and offsets from the symbol table, and variables are sorted by offset, which the
/// kernel also requires.
/// </summary>
internal static class KernelBtfFixer
{
    public static byte[] Fix(BtfSpec btf, ElfFile elf)
    {
        var bytes = btf.RawBytes.ToArray();
        for (var id = 1; id <= btf.TypeCount; id++)
        {
            if (btf.GetKind(id) != BtfKind.DataSec)
                continue;
            var name = btf.GetName(id);
            var section = elf.Sections.FirstOrDefault(s => s.Name == name);
            if (section is null)
                continue; // e.g. .kconfig or .ksyms: nothing in this object to take the layout from
            if (section.Size > uint.MaxValue)
                ThrowHelper.Throw($"The section '{name}' is too large for a BTF DATASEC.");
            var at = btf.RawOffsetOf(id);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 8), (uint)section.Size);

            var vlen = btf.GetVlen(id);
            var entries = new BtfVarSecInfo[vlen];
            for (var i = 0; i < vlen; i++)
            {
                var info = btf.GetVarSecInfo(id, i);
                if (btf.GetKind(info.TypeId) == BtfKind.Var)
                {
                    var varName = btf.GetName(info.TypeId);
                    var symbol = elf.Symbols.FirstOrDefault(s => s.SectionIndex == section.Index && s.Name == varName);
                    if (symbol is not null)
                    {
                        if (symbol.Value + info.Size > section.Size)
                            ThrowHelper.Throw($"The variable '{varName}' at offset {symbol.Value} lies outside section '{name}'.");
                        info = info with { Offset = (uint)symbol.Value };
                    }
                }
                entries[i] = info;
            }
            Array.Sort(entries, (a, b) => a.Offset.CompareTo(b.Offset));
            for (var i = 0; i < vlen; i++)
            {
                var record = bytes.AsSpan(at + BtfSpec.TypeHeaderSize + i * 12, 12);
                BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)entries[i].TypeId);
                BinaryPrimitives.WriteUInt32LittleEndian(record[4..], entries[i].Offset);
                BinaryPrimitives.WriteUInt32LittleEndian(record[8..], entries[i].Size);
            }
        }
        return bytes;
    }
}
