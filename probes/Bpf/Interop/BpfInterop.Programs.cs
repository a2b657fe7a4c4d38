using System.Text;
using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Interop;

/// <summary>Everything BPF_PROG_LOAD reads, as spans and handles rather than pointers.</summary>
internal ref struct ProgLoadInput
{
    public uint ProgramType;
    public uint ExpectedAttachType;
    public string Name;
    public ReadOnlySpan<byte> Instructions; // 8 bytes each
    public string License;
    public SafeBpfHandle? ProgramBtf; // when set, func_info and line_info refer to it
    public ReadOnlySpan<byte> FuncInfo;
    public uint FuncInfoRecordSize;
    public ReadOnlySpan<byte> LineInfo;
    public uint LineInfoRecordSize;
    public uint AttachBtfId; // tp_btf/fentry: the kernel BTF id of the attach target
}

internal static unsafe partial class BpfInterop
{
    /// <summary>
    /// Calls BPF_PROG_LOAD. Returns the new program fd, or -1 with <paramref name="errno"/>. When
    /// <paramref name="log"/> is not empty the verifier writes its log there (NUL-terminated) at
    /// <paramref name="logLevel"/>; <paramref name="logTrueSize"/> is the size it needed (6.4+, else 0).
    /// </summary>
    public static int ProgLoad(IBpfSyscalls sys, in ProgLoadInput input, uint logLevel, Span<byte> log, out Errno errno, out uint logTrueSize)
    {
        var license = Encoding.ASCII.GetBytes(input.License + "\0");
        var btfAdded = false;
        try
        {
            input.ProgramBtf?.DangerousAddRef(ref btfAdded);
            fixed (byte* insns = input.Instructions)
            fixed (byte* lic = license)
            fixed (byte* logBuf = log)
            fixed (byte* funcInfo = input.FuncInfo)
            fixed (byte* lineInfo = input.LineInfo)
            {
                var attr = new ProgLoadAttr
                {
                    prog_type = input.ProgramType,
                    insn_cnt = (uint)(input.Instructions.Length / 8),
                    insns = (ulong)insns,
                    license = (ulong)lic,
                    log_level = log.IsEmpty ? 0 : logLevel,
                    log_size = (uint)log.Length,
                    log_buf = log.IsEmpty ? 0 : (ulong)logBuf,
                    prog_name = ObjectName.From(input.Name),
                    expected_attach_type = input.ExpectedAttachType,
                    attach_btf_id = input.AttachBtfId,
                };
                if (btfAdded && input.ProgramBtf is { } btf)
                {
                    attr.prog_btf_fd = (uint)btf.Fd;
                    if (!input.FuncInfo.IsEmpty && input.FuncInfoRecordSize > 0)
                    {
                        attr.func_info = (ulong)funcInfo;
                        attr.func_info_rec_size = input.FuncInfoRecordSize;
                        attr.func_info_cnt = (uint)input.FuncInfo.Length / input.FuncInfoRecordSize;
                    }
                    if (!input.LineInfo.IsEmpty && input.LineInfoRecordSize > 0)
                    {
                        attr.line_info = (ulong)lineInfo;
                        attr.line_info_rec_size = input.LineInfoRecordSize;
                        attr.line_info_cnt = (uint)input.LineInfo.Length / input.LineInfoRecordSize;
                    }
                }
                var fd = sys.Bpf(BpfCmd.BPF_PROG_LOAD, &attr, (uint)sizeof(ProgLoadAttr), out errno);
                logTrueSize = attr.log_true_size;
                return fd;
            }
        }
        finally
        {
            if (btfAdded)
                input.ProgramBtf!.DangerousRelease();
        }
    }

    /// <summary>Calls BPF_BTF_LOAD. Returns the BTF object fd, or -1 with <paramref name="errno"/>.</summary>
    public static int BtfLoad(IBpfSyscalls sys, ReadOnlySpan<byte> btf, Span<byte> log, out Errno errno)
    {
        fixed (byte* data = btf)
        fixed (byte* logBuf = log)
        {
            var attr = new BtfLoadAttr
            {
                btf = (ulong)data,
                btf_size = (uint)btf.Length,
                btf_log_buf = log.IsEmpty ? 0 : (ulong)logBuf,
                btf_log_size = (uint)log.Length,
                btf_log_level = log.IsEmpty ? 0u : 1u,
            };
            return sys.Bpf(BpfCmd.BPF_BTF_LOAD, &attr, (uint)sizeof(BtfLoadAttr), out errno);
        }
    }

    /// <summary>
    /// Runs a program once per <paramref name="repeat"/> with BPF_PROG_TEST_RUN and returns its return value.
    /// </summary>
    public static uint ProgTestRun(IBpfSyscalls sys, SafeBpfHandle program, ReadOnlySpan<byte> dataIn, ReadOnlySpan<byte> contextIn, uint repeat, string programName)
    {
        var added = false;
        try
        {
            program.DangerousAddRef(ref added);
            fixed (byte* data = dataIn)
            fixed (byte* ctx = contextIn)
            {
                var attr = new ProgTestRunAttr
                {
                    prog_fd = (uint)program.Fd,
                    data_in = dataIn.IsEmpty ? 0 : (ulong)data,
                    data_size_in = (uint)dataIn.Length,
                    ctx_in = contextIn.IsEmpty ? 0 : (ulong)ctx,
                    ctx_size_in = (uint)contextIn.Length,
                    repeat = repeat,
                };
                if (sys.Bpf(BpfCmd.BPF_PROG_TEST_RUN, &attr, (uint)sizeof(ProgTestRunAttr), out var errno) < 0)
                    throw ThrowHelper.BpfCommandFailed(BpfCmd.BPF_PROG_TEST_RUN, errno, $"program '{programName}'");
                return attr.retval;
            }
        }
        finally
        {
            if (added)
                program.DangerousRelease();
        }
    }
}
