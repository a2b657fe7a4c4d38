using System.Text;
using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Interop;

internal static unsafe partial class BpfInterop
{
    /// <summary>
    /// BPF_RAW_TRACEPOINT_OPEN: attaches a raw_tracepoint program to <paramref name="tracepoint"/>, or a
    /// tp_btf program (loaded with attach_btf_id) when <paramref name="tracepoint"/> is null. Returns the link fd.
    /// </summary>
    public static SafeBpfHandle RawTracepointOpen(IBpfSyscalls sys, SafeBpfHandle program, string? tracepoint, string programName)
    {
        var name = tracepoint is null ? null : Encoding.ASCII.GetBytes(tracepoint + "\0");
        var added = false;
        try
        {
            program.DangerousAddRef(ref added);
            fixed (byte* n = name)
            {
                var attr = new RawTracepointOpenAttr { name = (ulong)n, prog_fd = (uint)program.Fd };
                var fd = sys.Bpf(BpfCmd.BPF_RAW_TRACEPOINT_OPEN, &attr, (uint)sizeof(RawTracepointOpenAttr), out var errno);
                if (fd < 0)
                {
                    var target = tracepoint is null ? "its BTF tracepoint" : $"raw tracepoint '{tracepoint}'";
                    throw ThrowHelper.BpfCommandFailed(BpfCmd.BPF_RAW_TRACEPOINT_OPEN, errno, $"program '{programName}' attaching to {target}");
                }
                return new SafeBpfHandle(fd);
            }
        }
        finally
        {
            if (added)
                program.DangerousRelease();
        }
    }

    /// <summary>BPF_LINK_CREATE for a program and a target fd (perf event, cgroup, ...). Returns the link fd.</summary>
    public static SafeBpfHandle LinkCreate(IBpfSyscalls sys, SafeBpfHandle program, SafeFdHandle target, uint attachType, string programName)
    {
        var programAdded = false;
        var targetAdded = false;
        try
        {
            program.DangerousAddRef(ref programAdded);
            target.DangerousAddRef(ref targetAdded);
            var attr = new LinkCreateAttr { prog_fd = (uint)program.Fd, target_fd = (uint)target.Fd, attach_type = attachType };
            var fd = sys.Bpf(BpfCmd.BPF_LINK_CREATE, &attr, (uint)sizeof(LinkCreateAttr), out var errno);
            if (fd < 0)
                throw ThrowHelper.BpfCommandFailed(BpfCmd.BPF_LINK_CREATE, errno, $"program '{programName}'");
            return new SafeBpfHandle(fd);
        }
        finally
        {
            if (targetAdded)
                target.DangerousRelease();
            if (programAdded)
                program.DangerousRelease();
        }
    }
}
