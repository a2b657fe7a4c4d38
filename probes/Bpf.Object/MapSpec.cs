namespace OsqueryBpf.Bpf.Object;

/// <summary>
/// Everything BPF_MAP_CREATE needs for one map, read from a BTF-defined map in <c>.maps</c> or from a global data
/// section (<c>.rodata</c>, <c>.data</c>, <c>.bss</c> and their <c>.name</c> variants, which become one-entry arrays).
/// Plain data: change it before loading (for example <see cref="MaxEntries"/> of a ring buffer).
/// </summary>
public sealed class MapSpec
{
    /// <summary>Name in the object: the variable name for <c>.maps</c>, the section name for global data.</summary>
    public required string Name { get; init; }

    /// <summary>Kernel map type.</summary>
    public MapType Type { get; set; }

    /// <summary>Key size in bytes (4 for global data arrays, 0 for ring buffers).</summary>
    public uint KeySize { get; set; }

    /// <summary>Value size in bytes (the section size for global data).</summary>
    public uint ValueSize { get; set; }

    /// <summary>Maximum number of entries (for ring buffers, the size in bytes: a power of two multiple of the page size).</summary>
    public uint MaxEntries { get; set; }

    /// <summary>BPF_MAP_CREATE map_flags (BPF_F_*).</summary>
    public uint Flags { get; set; }

    /// <summary>Initial contents of entry 0 for global data (zeros for <c>.bss</c>); null for ordinary maps.</summary>
    public byte[]? Contents { get; set; }

    /// <summary>True when the map must be frozen (BPF_MAP_FREEZE) after its contents are written: <c>.rodata</c>.</summary>
    public bool Freeze { get; set; }

    /// <summary>BTF type id of the key in the object's BTF, or 0.</summary>
    public uint BtfKeyTypeId { get; set; }

    /// <summary>BTF type id of the value in the object's BTF, or 0.</summary>
    public uint BtfValueTypeId { get; set; }

    /// <summary>True for maps made from a global data section (<c>.rodata</c>, <c>.data</c>, <c>.bss</c>...).</summary>
    public bool IsGlobalData { get; init; }

    /// <summary>The ELF section this map came from (<c>.maps</c> or the data section).</summary>
    public string SectionName { get; init; } = "";

    /// <summary>A deep copy (contents included).</summary>
    public MapSpec Clone() => new()
    {
        Name = Name,
        Type = Type,
        KeySize = KeySize,
        ValueSize = ValueSize,
        MaxEntries = MaxEntries,
        Flags = Flags,
        Contents = Contents is null ? null : (byte[])Contents.Clone(),
        Freeze = Freeze,
        BtfKeyTypeId = BtfKeyTypeId,
        BtfValueTypeId = BtfValueTypeId,
        IsGlobalData = IsGlobalData,
        SectionName = SectionName,
    };

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} ({Type}, key {KeySize}, value {ValueSize}, max {MaxEntries}, flags 0x{Flags:x})";
}
