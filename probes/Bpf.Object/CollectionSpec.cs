using System.Runtime.InteropServices;
using OsqueryBpf.Bpf.Object.Btf;

namespace OsqueryBpf.Bpf.Object;

/// <summary>
/// Everything in one BPF ELF object, as plain data: maps, programs, BTF and license. The same object gives the
/// same spec on any machine; nothing here depends on the running kernel. Change it (constants, map sizes) and
/// hand it to the kernel layer to create maps and load programs.
/// </summary>
public sealed partial class CollectionSpec
{
    private readonly Dictionary<string, MapSpec> _maps;
    private readonly Dictionary<string, ProgramSpec> _programs;
    private readonly Dictionary<string, VariableSpec> _variables;

    private CollectionSpec(Dictionary<string, MapSpec> maps, Dictionary<string, ProgramSpec> programs,
        Dictionary<string, VariableSpec> variables, BtfSpec? btf, byte[]? btfForKernel, string license)
    {
        _maps = maps;
        _programs = programs;
        _variables = variables;
        Btf = btf;
        BtfForKernel = btfForKernel;
        License = license;
    }

    /// <summary>Maps by name: <c>.maps</c> variables by variable name, global data by section name (<c>.rodata</c>, <c>.bss</c>...).</summary>
    public IReadOnlyDictionary<string, MapSpec> Maps => _maps;

    /// <summary>Programs by function name.</summary>
    public IReadOnlyDictionary<string, ProgramSpec> Programs => _programs;

    /// <summary>Global variables by name (from BTF DATASEC), with their section and offset.</summary>
    public IReadOnlyDictionary<string, VariableSpec> Variables => _variables;

    /// <summary>The object's BTF (<c>.BTF</c>), or null when the object has none; CO-RE relocations refer to it.</summary>
    public BtfSpec? Btf { get; }

    /// <summary>
    /// The object's BTF prepared for BPF_BTF_LOAD (DATASEC sizes and VAR offsets filled in from the ELF, as libbpf
    /// does), or null when the object has no BTF. Map BTF ids and func_info type ids refer to this blob.
    /// </summary>
    public byte[]? BtfForKernel { get; }

    /// <summary>The license string from the <c>license</c> section (empty when absent).</summary>
    public string License { get; }

    /// <summary>Parses a little-endian ELF64 BPF object.</summary>
    /// <exception cref="BpfObjectException">The object is truncated, corrupted or uses something this parser does not support.</exception>
    public static CollectionSpec Parse(ReadOnlySpan<byte> elf) => ElfObjectReader.Read(elf);

    /// <summary>Reads and parses an object file (a convenience; the only file access in this library).</summary>
    public static CollectionSpec ParseFile(string path) => Parse(File.ReadAllBytes(path));

    /// <summary>Sets a read-only global (a <c>const volatile</c> variable in <c>.rodata</c>) before loading.</summary>
    /// <exception cref="BpfObjectException">No such variable, it is not in a read-only section, or its size is not sizeof(<typeparamref name="T"/>).</exception>
    public void SetConstant<T>(string name, T value) where T : unmanaged =>
        SetConstant(name, MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref value, 1)));

    /// <summary>Sets a read-only global from raw bytes; the length must equal the variable's size.</summary>
    /// <exception cref="BpfObjectException">No such variable, it is not in a read-only section, or the size differs.</exception>
    public void SetConstant(string name, ReadOnlySpan<byte> value)
    {
        if (!_variables.TryGetValue(name, out var variable))
            ThrowHelper.Throw($"The object has no global variable named '{name}'.");
        if (!variable.IsReadOnly)
            ThrowHelper.Throw($"The variable '{name}' is in section '{variable.SectionName}', not in a read-only section; only .rodata constants can be set before loading.");
        if ((uint)value.Length != variable.Size)
            ThrowHelper.Throw($"The variable '{name}' is {variable.Size} bytes but the new value is {value.Length} bytes.");
        if (!_maps.TryGetValue(variable.SectionName, out var map) || map.Contents is null ||
            (ulong)variable.Offset + variable.Size > (ulong)map.Contents.Length)
            ThrowHelper.Throw($"The variable '{name}' lies outside the contents of section '{variable.SectionName}'.");
        value.CopyTo(map.Contents.AsSpan((int)variable.Offset, (int)variable.Size));
    }

    /// <summary>A deep copy: maps (with contents) and programs can then be changed independently.</summary>
    public CollectionSpec Clone() => new(
        _maps.ToDictionary(kv => kv.Key, kv => kv.Value.Clone(), StringComparer.Ordinal),
        _programs.ToDictionary(kv => kv.Key, kv => kv.Value.Clone(), StringComparer.Ordinal),
        new Dictionary<string, VariableSpec>(_variables, StringComparer.Ordinal),
        Btf,
        BtfForKernel is null ? null : (byte[])BtfForKernel.Clone(),
        License);

    /// <summary>Replaces the program of the same name (used by <see cref="Core.CoreRelocator.ApplyAll"/> on its own clone).</summary>
    internal void ReplaceProgram(ProgramSpec program) => _programs[program.Name] = program;

    internal static CollectionSpec Create(Dictionary<string, MapSpec> maps, Dictionary<string, ProgramSpec> programs,
        Dictionary<string, VariableSpec> variables, BtfSpec? btf, byte[]? btfForKernel, string license) =>
        new(maps, programs, variables, btf, btfForKernel, license);
}
