using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Bpf.Programs;

namespace OsqueryBpf.Bpf.Collections;

/// <summary>Settings for <see cref="BpfCollection.Load(Object.CollectionSpec, CollectionLoadOptions?)"/>.</summary>
public sealed class CollectionLoadOptions
{
    /// <summary>Attach every loaded program whose section names its hook (tracepoint, raw_tracepoint, tp_btf). Default true.</summary>
    public bool Attach { get; init; } = true;

    /// <summary>Load only these programs (by name); null loads all.</summary>
    public IReadOnlySet<string>? Programs { get; init; }

    /// <summary>Target BTF for CO-RE relocation; null uses the running kernel's (<see cref="Btf.KernelBtf.Spec"/>).</summary>
    public BtfSpec? KernelBtf { get; init; }

    /// <summary>
    /// How many programs are relocated and verified at once (default: the CPU count, at most 4). The
    /// verifier is most of the load time and runs concurrently in the kernel; 1 loads one by one.
    /// </summary>
    public int MaxParallelLoads { get; init; } = Math.Min(Environment.ProcessorCount, 4);

    /// <summary>Verifier log settings used when a program is refused.</summary>
    public ProgramLoadOptions ProgramOptions { get; init; } = new();
}
