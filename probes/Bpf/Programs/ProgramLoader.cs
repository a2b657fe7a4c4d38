using System.Text;
using OsqueryBpf.Bpf.Btf;
using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Programs;

/// <summary>
/// BPF_PROG_LOAD with the verifier-log protocol: load once with no log (fast, and no log-size limit to
/// trip over), and only after a failure load again with a log buffer that grows while the kernel says
/// ENOSPC, so the error carries the verifier's explanation.
/// </summary>
internal static class ProgramLoader
{
    /// <summary>The decimal form of Instruction.PoisonHelper, as the verifier prints it ("invalid func unknown#195896080").</summary>
    private static readonly string s_poisonMarker = Instruction.PoisonHelper.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static BpfProgram Load(IBpfSyscalls sys, ProgramSpec spec, ProgramLoadOptions options)
    {
        var attachBtfId = options.AttachBtfId;
        if (attachBtfId == 0 && spec.Type == ProgramType.Tracing && spec.ExpectedAttachType == AttachType.TraceRawTracepoint)
        {
            if (spec.AttachTo.Length == 0)
                throw new ArgumentException($"Program '{spec.Name}' is a tp_btf program but names no tracepoint in its section '{spec.SectionName}'.", nameof(spec));
            attachBtfId = KernelBtf.TracepointTypeId(spec.AttachTo);
        }

        var input = new ProgLoadInput
        {
            ProgramType = (uint)spec.Type,
            ExpectedAttachType = (uint)spec.ExpectedAttachType,
            Name = spec.Name,
            Instructions = Instruction.AsBytes(spec.Instructions),
            License = spec.License.Length == 0 ? "GPL" : spec.License,
            ProgramBtf = options.ProgramBtf?.Handle,
            FuncInfo = spec.FuncInfo,
            FuncInfoRecordSize = spec.FuncInfoRecordSize,
            LineInfo = spec.LineInfo,
            LineInfoRecordSize = spec.LineInfoRecordSize,
            AttachBtfId = attachBtfId,
        };

        var fd = BpfInterop.ProgLoad(sys, input, 0, [], out var errno, out _);
        if (fd >= 0)
            return new BpfProgram(sys, new SafeBpfHandle(fd), spec);
        var firstErrno = errno;

        // Retry with a log. ENOSPC means the log did not fit: grow it (to what the kernel says it
        // needed, when it says) and try again, up to the maximum.
        var size = Math.Max(options.InitialLogSize, 4096);
        string log;
        while (true)
        {
            var buffer = new byte[size];
            fd = BpfInterop.ProgLoad(sys, input, Math.Max(options.LogLevel, 1), buffer, out errno, out var trueSize);
            if (fd >= 0)
                return new BpfProgram(sys, new SafeBpfHandle(fd), spec); // a transient failure (EAGAIN/EINTR storm) went away
            log = DecodeLog(buffer);
            if (errno != Errno.ENOSPC || size >= options.MaximumLogSize)
                break;
            size = (int)Math.Min(options.MaximumLogSize, Math.Max((long)size * 4, trueSize));
        }
        if (errno == Errno.ENOSPC && firstErrno != Errno.ENOSPC)
            errno = firstErrno; // the log was truncated even at the maximum; report the real failure

        throw LoadFailed(spec, errno, log, options.KernelVersionOverride ?? KernelVersion.RunningVersion);
    }

    private static string DecodeLog(byte[] buffer)
    {
        var end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }

    private static BpfException LoadFailed(ProgramSpec spec, Errno errno, string log, Version? running)
    {
        var noLog = string.IsNullOrWhiteSpace(log);
        var type = (uint)spec.Type;
        // An unknown program type is refused with EINVAL before the verifier runs, so there is no log.
        if (errno == Errno.EINVAL && noLog && KernelFeatures.ProgramTypeMinimumKernel(type) is { } minimum && running is not null && running < Version.Parse(minimum))
            return new KernelFeatureNotSupportedException($"program type {KernelFeatures.ProgramTypeName(type)}", minimum, errno,
                $"Program '{spec.Name}' (section '{spec.SectionName}') cannot be loaded.");
        return new VerifierException(spec.Name, errno, log, Hint(errno, log, noLog));
    }

    private static string? Hint(Errno errno, string log, bool noLog)
    {
        if (log.Contains("unknown#" + s_poisonMarker, StringComparison.Ordinal))
            return "A CO-RE relocation could not be satisfied: the program uses a kernel type or field this kernel does not have, on a path the verifier could not prove dead.";
        if (errno == Errno.EPERM || (errno == Errno.EACCES && noLog))
            return ErrorHints.PrivilegeHint();
        if (errno == Errno.E2BIG && noLog)
            return "The program is too large for this kernel, or the kernel does not know a BPF_PROG_LOAD field the loader set.";
        return null;
    }
}
