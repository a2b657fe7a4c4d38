using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Probes.Kernel;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Probes.Runtime;

/// <summary>
/// One probe as a unit: its BPF object (<c>NAME.bpf.c</c> in its folder, embedded as <c>NAME.bpf.o</c>), the table(s)
/// its events fill, its settings, the .rodata constants they become, and the decoder of its records. Its hooks come
/// from the object's <c>SEC()</c> names; only the ones that need more than their kind are declared
/// (<see cref="HookDeclarations"/>). By convention the ring is the map <c>NAME_events</c> and its per-CPU loss
/// counter <c>NAME_events_lost</c> (probes/bpf/include/common.h). docs/writing-a-probe.md walks through one.
/// </summary>
public sealed class ProbeDefinition
{
    private IReadOnlyList<ProbeHook>? _hooks;

    /// <summary>Short name: the <c>name</c> column of <c>ebpf_probes</c>, the settings file's <c>probes</c> entry, and the object's file name.</summary>
    public required string Name { get; init; }

    /// <summary>The tables its events go to; each event type has exactly one.</summary>
    public required IReadOnlyList<TableDefinition> Tables { get; init; }

    /// <summary>Hooks that are optional, newer than their kind, or have fallback programs.</summary>
    public IReadOnlyList<HookDeclaration> HookDeclarations { get; init; } = [];

    /// <summary>
    /// Whether the programs skip the extension's own process (.rodata ignore_tgid). True for every probe whose
    /// events the extension itself would cause (the store writes files), and so would feed back.
    /// </summary>
    public bool IgnoresOwnProcess { get; init; } = true;

    /// <summary>How its settings are read from the settings file (source-generated, so AOT-clean); its properties are its keys.</summary>
    public required JsonTypeInfo SettingsJson { get; init; }

    /// <summary>Its settings when the settings file says nothing about them.</summary>
    public required Func<ProbeSettings> DefaultSettings { get; init; }

    /// <summary>The .rodata constants (variable name to little-endian bytes) its settings become.</summary>
    public Func<ProbeSettings, IEnumerable<KeyValuePair<string, byte[]>>> BuildConstants { get; init; } = _ => [];

    /// <summary>
    /// The .rodata constants that depend on the kernel rather than on the settings (what a program type may call on
    /// it, for example). Most probes have none.
    /// </summary>
    public Func<IKernelProfile, IEnumerable<KeyValuePair<string, byte[]>>> KernelConstants { get; init; } = _ => [];

    /// <summary>Creates a decoder for its records (one per ring reader).</summary>
    public required Func<ProbeSettings, ProbeContext, IRecordDecoder> CreateDecoder { get; init; }

    /// <summary>Runs once its ring reader runs, before the next probe loads (the cgroup probe feeds the container map).</summary>
    public Action<ProbeEventReader, ProbeContext>? Started { get; init; }

    /// <summary>Runs before its reader stops.</summary>
    public Action<ProbeContext>? Stopping { get; init; }

    /// <summary>Manifest resource holding the compiled object.</summary>
    public string ObjectResource => Name + ".bpf.o";

    /// <summary>The BPF_MAP_TYPE_RINGBUF map to read.</summary>
    public string RingMap => Name + "_events";

    /// <summary>The per-CPU array (one __u64 per CPU, key 0) counting records the kernel could not put into the ring.</summary>
    public string LostMap => RingMap + "_lost";

    /// <summary>
    /// One hook per program of the object, fallback programs folded into the hook they serve, as they are on this
    /// process's architecture (that of the embedded object, and of the kernel it runs on).
    /// </summary>
    /// <exception cref="InvalidOperationException">A program has a section the runtime cannot attach, or a declaration names no program.</exception>
    public IReadOnlyList<ProbeHook> Hooks => _hooks ??= DeriveHooks(CollectionSpec.Parse(ReadObject()), RuntimeInformation.ProcessArchitecture);

    /// <summary>Reads its settings from the settings file's JSON object (other probes' keys and the extension's own are skipped).</summary>
    /// <exception cref="JsonException">A key of this probe has a value of the wrong type.</exception>
    public ProbeSettings ReadSettings(JsonElement root) =>
        (ProbeSettings?)root.Deserialize(SettingsJson) ?? DefaultSettings();

    /// <summary>Every .rodata constant for these settings, context and kernel.</summary>
    public IEnumerable<KeyValuePair<string, byte[]>> Constants(ProbeSettings settings, ProbeContext context, IKernelProfile kernel)
    {
        settings.Validate();
        context.Validate();
        yield return Constant("ring_wakeup_bytes", (uint)context.RingWakeupBytes);
        if (IgnoresOwnProcess)
            yield return Constant("ignore_tgid", (uint)context.IgnoredProcessId);
        foreach (var constant in BuildConstants(settings).Concat(KernelConstants(kernel)))
            yield return constant;
    }

    /// <summary>The embedded object's bytes.</summary>
    /// <exception cref="InvalidOperationException">The assembly was built without the object.</exception>
    public byte[] ReadObject()
    {
        using var stream = typeof(ProbeDefinition).Assembly.GetManifestResourceStream(ObjectResource)
            ?? throw new InvalidOperationException($"The BPF object '{ObjectResource}' is not embedded in {typeof(ProbeDefinition).Assembly.GetName().Name}; was clang available at build time?");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>A 32-bit .rodata constant.</summary>
    public static KeyValuePair<string, byte[]> Constant(string name, uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return new(name, bytes);
    }

    /// <summary>A boolean .rodata constant (one byte).</summary>
    public static KeyValuePair<string, byte[]> Constant(string name, bool value) => new(name, [value ? (byte)1 : (byte)0]);

    /// <inheritdoc />
    public override string ToString() => Name;

    internal IReadOnlyList<ProbeHook> DeriveHooks(CollectionSpec spec, Architecture architecture)
    {
        var declared = HookDeclarations.ToDictionary(d => d.ProgramName, StringComparer.Ordinal);
        var fallbacks = HookDeclarations.SelectMany(d => d.Fallbacks).Select(f => f.ProgramName).ToHashSet(StringComparer.Ordinal);
        foreach (var name in declared.Keys.Concat(fallbacks).Where(n => !spec.Programs.ContainsKey(n)))
            throw new InvalidOperationException($"Probe {Name} declares the hook program '{name}', which {ObjectResource} does not have.");

        var hooks = new List<ProbeHook>();
        foreach (var program in spec.Programs.Values)
        {
            if (fallbacks.Contains(program.Name))
                continue; // loaded instead of its hook's main program where the kernel needs it (ProbePlan)
            var kind = HookKinds.Of(program)
                ?? throw new InvalidOperationException($"Probe {Name}: program '{program.Name}' is in section '{program.SectionName}', which the runtime does not attach.");
            var declaration = declared.GetValueOrDefault(program.Name);
            bool absent = declaration?.AbsentOn.Contains(architecture) ?? false;
            hooks.Add(new ProbeHook(program.Name, kind, kind == HookKind.SocketFilter ? "AF_PACKET" : program.AttachTo,
                declaration?.MinimumKernel ?? HookKinds.MinimumKernel(kind))
            {
                Optional = (declaration?.Optional ?? false) || absent,
                AbsentOn = absent ? architecture : null,
                TracepointArguments = declaration?.TracepointArguments ?? 0,
                Fallbacks = declaration?.Fallbacks ?? [],
            });
        }
        return hooks;
    }
}
