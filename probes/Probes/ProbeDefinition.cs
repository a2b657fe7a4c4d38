using OsqueryBpf.Probes.Decoding;

namespace OsqueryBpf.Probes;

/// <summary>
/// Everything the host needs to run one probe: which embedded object to load, which programs to attach
/// where, which .rodata constants to set, which ring to read, and how to decode its records.
/// </summary>
public sealed class ProbeDefinition
{
    /// <summary>Short name, the <c>name</c> column of <c>ebpf_probes</c> (process, file).</summary>
    public required string Name { get; init; }

    /// <summary>Manifest resource holding the compiled object (process.bpf.o).</summary>
    public required string ObjectResource { get; init; }

    /// <summary>The table its events go to (ebpf_process_events).</summary>
    public required string Table { get; init; }

    /// <summary>The BPF_MAP_TYPE_RINGBUF map to read.</summary>
    public required string RingMap { get; init; }

    /// <summary>The per-CPU array (one __u64 per CPU, key 0) counting records the kernel could not put into the ring.</summary>
    public required string LostMap { get; init; }

    /// <summary>The programs and their attach points.</summary>
    public required IReadOnlyList<ProbeHook> Hooks { get; init; }

    /// <summary>Builds the .rodata constants (variable name to little-endian bytes) for the given settings.</summary>
    public required Func<ProbeSettings, IReadOnlyList<KeyValuePair<string, byte[]>>> BuildConstants { get; init; }

    /// <summary>
    /// The .rodata constants that depend on the kernel rather than on the settings (what a program type may call on
    /// it, for example). Most probes have none.
    /// </summary>
    public Func<Kernel.IKernelProfile, IReadOnlyList<KeyValuePair<string, byte[]>>> KernelConstants { get; init; } = _ => [];

    /// <summary>Creates a decoder for this probe's records (one per ring reader).</summary>
    public required Func<ProbeSettings, BootClock, IRecordDecoder> CreateDecoder { get; init; }

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
}
