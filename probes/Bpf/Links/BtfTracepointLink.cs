using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Programs;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Links;

/// <summary>
/// A BTF tracepoint program (SEC("tp_btf/sched_process_exec")): a tracing program loaded with the
/// attach_btf_id of btf_trace_&lt;name&gt;, attached with BPF_RAW_TRACEPOINT_OPEN and no name.
/// </summary>
/// <remarks>Requires Linux 5.5 and kernel BTF.</remarks>
public sealed class BtfTracepointLink : IBpfLink
{
    private readonly SafeBpfHandle _link;

    private BtfTracepointLink(SafeBpfHandle link, string programName, string target)
    {
        _link = link;
        ProgramName = programName;
        Target = target;
    }

    /// <inheritdoc />
    public string ProgramName { get; }

    /// <inheritdoc />
    public string Target { get; }

    /// <summary>Attaches <paramref name="program"/>, which must have been loaded as a tp_btf program.</summary>
    public static BtfTracepointLink Attach(BpfProgram program)
    {
        if (program.Type != ProgramType.Tracing || program.ExpectedAttachType != AttachType.TraceRawTracepoint)
            throw new ArgumentException($"Program '{program.Name}' is a {program.Type} program, not a tp_btf program.", nameof(program));
        var link = BpfInterop.RawTracepointOpen(program.Syscalls, program.Handle, tracepoint: null, program.Name);
        return new BtfTracepointLink(link, program.Name, "tp_btf/" + program.AttachTo);
    }

    /// <summary>Closes the link fd, which detaches the program.</summary>
    public void Dispose() => _link.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"{ProgramName} -> {Target}";
}
