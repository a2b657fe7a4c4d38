using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Programs;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Links;

/// <summary>A raw tracepoint program (SEC("raw_tracepoint/sys_enter")) attached by name with BPF_RAW_TRACEPOINT_OPEN.</summary>
/// <remarks>Requires Linux 4.17. Needs no tracefs.</remarks>
public sealed class RawTracepointLink : IBpfLink
{
    private readonly SafeBpfHandle _link;

    private RawTracepointLink(SafeBpfHandle link, string programName, string target)
    {
        _link = link;
        ProgramName = programName;
        Target = target;
    }

    /// <inheritdoc />
    public string ProgramName { get; }

    /// <inheritdoc />
    public string Target { get; }

    /// <summary>Attaches <paramref name="program"/> to raw tracepoint <paramref name="tracepoint"/> ("sys_enter").</summary>
    public static RawTracepointLink Attach(BpfProgram program, string tracepoint)
    {
        var link = BpfInterop.RawTracepointOpen(program.Syscalls, program.Handle, tracepoint, program.Name);
        return new RawTracepointLink(link, program.Name, "raw_tracepoint/" + tracepoint);
    }

    /// <summary>Closes the link fd, which detaches the program.</summary>
    public void Dispose() => _link.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"{ProgramName} -> {Target}";
}
