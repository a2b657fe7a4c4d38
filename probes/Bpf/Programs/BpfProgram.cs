using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Programs;

/// <summary>A program loaded into the kernel (verified, not yet attached).</summary>
public sealed class BpfProgram : IDisposable
{
    private readonly IBpfSyscalls _sys;

    internal BpfProgram(IBpfSyscalls sys, SafeBpfHandle handle, ProgramSpec spec)
    {
        _sys = sys;
        Handle = handle;
        Name = spec.Name;
        SectionName = spec.SectionName;
        Type = spec.Type;
        ExpectedAttachType = spec.ExpectedAttachType;
        AttachTo = spec.AttachTo;
    }

    /// <summary>The program's function name in the object file.</summary>
    public string Name { get; }

    /// <summary>The ELF section it came from ("tp_btf/sched_process_exec").</summary>
    public string SectionName { get; }

    /// <summary>The program type.</summary>
    public ProgramType Type { get; }

    /// <summary>The expected attach type it was loaded with.</summary>
    public AttachType ExpectedAttachType { get; }

    /// <summary>The attach target named by the section ("syscalls/sys_enter_getpid", "sys_enter", ...), or empty.</summary>
    public string AttachTo { get; }

    /// <summary>The program's fd.</summary>
    public SafeBpfHandle Handle { get; }

    internal IBpfSyscalls Syscalls => _sys;

    /// <summary>
    /// Verifies and loads <paramref name="spec"/> (whose map references must already hold map fds).
    /// Throws <see cref="Errors.VerifierException"/> when the kernel refuses it.
    /// </summary>
    public static BpfProgram Load(ProgramSpec spec, ProgramLoadOptions? options = null) =>
        ProgramLoader.Load(LinuxBpfSyscalls.Instance, spec, options ?? new ProgramLoadOptions());

    /// <summary>
    /// Runs the program in the kernel with BPF_PROG_TEST_RUN (supported for socket filters, raw
    /// tracepoints, tracing and syscall programs, among others) and returns its return value.
    /// </summary>
    /// <param name="data">Packet data (socket filters); must be empty for raw tracepoints.</param>
    /// <param name="context">Context bytes: for raw tracepoints the u64 arguments.</param>
    /// <param name="repeat">Runs per call; 0 runs once and is the only value raw tracepoints accept.</param>
    public uint TestRun(ReadOnlySpan<byte> data = default, ReadOnlySpan<byte> context = default, uint repeat = 0) =>
        BpfInterop.ProgTestRun(_sys, Handle, data, context, repeat, Name);

    /// <summary>Closes the program's fd; links that use it keep it alive in the kernel until they are disposed.</summary>
    public void Dispose() => Handle.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"program '{Name}' ({SectionName}, {Type})";
}
