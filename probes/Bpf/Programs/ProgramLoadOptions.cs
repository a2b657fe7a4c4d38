using OsqueryBpf.Bpf.Btf;

namespace OsqueryBpf.Bpf.Programs;

/// <summary>Load-time settings for <see cref="BpfProgram.Load(Object.ProgramSpec, ProgramLoadOptions?)"/>.</summary>
public sealed class ProgramLoadOptions
{
    /// <summary>The object's uploaded BTF; when set, the spec's func_info and line_info go to the kernel with it.</summary>
    public LoadedBtf? ProgramBtf { get; init; }

    /// <summary>
    /// The kernel BTF id of the attach target (tp_btf, fentry). 0 means: resolve it from the spec's
    /// AttachTo for tp_btf programs.
    /// </summary>
    public uint AttachBtfId { get; init; }

    /// <summary>Verifier log level for the retry after a failure (1: the failing path; 2: every instruction).</summary>
    public uint LogLevel { get; init; } = 1;

    /// <summary>First verifier log buffer size for the retry after a failure.</summary>
    public int InitialLogSize { get; init; } = 64 * 1024;

    /// <summary>Largest verifier log buffer; the buffer grows up to this while the kernel reports ENOSPC.</summary>
    public int MaximumLogSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>The kernel version errors are judged against; null reads the running kernel's (tests set it).</summary>
    internal Version? KernelVersionOverride { get; init; }
}
