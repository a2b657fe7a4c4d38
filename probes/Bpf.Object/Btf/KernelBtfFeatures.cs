namespace OsqueryBpf.Bpf.Object.Btf;

/// <summary>
/// What a kernel offers to BPF programs, as its own BTF (/sys/kernel/btf/vmlinux) describes it: the helpers it
/// knows (<c>enum bpf_func_id</c>), its program and map types (<c>enum bpf_prog_type</c>, <c>enum bpf_map_type</c>)
/// and the prototypes of its tracepoints (<c>btf_trace_*</c>). Reading these is exact where a version number is
/// only a guess: distributions backport features, and a release string says nothing about configuration.
/// Pure: the same BTF gives the same answers on any machine.
/// </summary>
public sealed class KernelBtfFeatures
{
    private readonly BtfSpec _btf;
    private readonly Lazy<Dictionary<string, long>> _helpers;
    private readonly Lazy<Dictionary<string, long>> _programTypes;
    private readonly Lazy<Dictionary<string, long>> _mapTypes;

    /// <summary>Reads features from <paramref name="kernelBtf"/>, a kernel's BTF.</summary>
    public KernelBtfFeatures(BtfSpec kernelBtf)
    {
        _btf = kernelBtf;
        _helpers = new(() => Enumerators("bpf_func_id", "BPF_FUNC_"));
        _programTypes = new(() => Enumerators("bpf_prog_type", "BPF_PROG_TYPE_"));
        _mapTypes = new(() => Enumerators("bpf_map_type", "BPF_MAP_TYPE_"));
    }

    /// <summary>
    /// Whether the kernel has helper <paramref name="helper"/> (its name without <c>bpf_</c>, as in
    /// <c>get_current_task_btf</c>). Whether a given program type may call it is a separate question that only
    /// the verifier answers.
    /// </summary>
    public bool HasHelper(string helper) => _helpers.Value.ContainsKey(Strip(helper, "bpf_"));

    /// <summary>The id of helper <paramref name="helper"/> in this kernel, or null when it has none by that name.</summary>
    public int? HelperId(string helper) => _helpers.Value.TryGetValue(Strip(helper, "bpf_"), out var id) ? (int)id : null;

    /// <summary>The helper's name (without <c>bpf_</c>) for an id, or null when this kernel has no such helper.</summary>
    public string? HelperName(int id) => _helpers.Value.FirstOrDefault(h => h.Value == id).Key;

    /// <summary>Whether the kernel has program type <paramref name="programType"/> (<c>tracing</c>, <c>socket_filter</c>, ...).</summary>
    public bool HasProgramType(string programType) => _programTypes.Value.ContainsKey(programType.ToLowerInvariant());

    /// <summary>Whether the kernel has map type <paramref name="mapType"/> (<c>ringbuf</c>, <c>lru_hash</c>, ...).</summary>
    public bool HasMapType(string mapType) => _mapTypes.Value.ContainsKey(mapType.ToLowerInvariant());

    /// <summary>
    /// How many arguments the BTF tracepoint <paramref name="tracepoint"/> passes to a <c>tp_btf</c> program, or null
    /// when the kernel has no such BTF tracepoint. Tracepoints gain arguments over time (sched_process_exit got
    /// <c>group_dead</c> in Linux 6.16), and the verifier refuses a program that reads one the kernel does not pass.
    /// </summary>
    public int? TracepointArgumentCount(string tracepoint)
    {
        // typedef void (*btf_trace_<name>)(void *__data, <the tracepoint's arguments>);
        if (!_btf.TryFindType("btf_trace_" + tracepoint, BtfKind.Typedef, out var typedef))
            return null;
        var pointer = _btf.SkipQualifiers(_btf.GetReferencedTypeId(typedef));
        if (_btf.GetKind(pointer) != BtfKind.Pointer)
            return null;
        var prototype = _btf.SkipQualifiers(_btf.GetReferencedTypeId(pointer));
        if (_btf.GetKind(prototype) != BtfKind.FuncProto)
            return null;
        return Math.Max(0, _btf.GetVlen(prototype) - 1);
    }

    private Dictionary<string, long> Enumerators(string enumName, string prefix)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var id in _btf.FindTypes(enumName))
        {
            if (_btf.GetKind(id) is not (BtfKind.Enum or BtfKind.Enum64))
                continue;
            for (var i = 0; i < _btf.GetVlen(id); i++)
            {
                var value = _btf.GetEnumValue(id, i);
                if (value.Name.StartsWith(prefix, StringComparison.Ordinal))
                    values.TryAdd(value.Name[prefix.Length..].ToLowerInvariant(), value.Value);
            }
        }
        return values;
    }

    private static string Strip(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
}
