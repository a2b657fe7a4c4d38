using System.Text;
using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Btf;

/// <summary>An object's BTF uploaded to the kernel (BPF_BTF_LOAD), referenced by maps and programs.</summary>
public sealed class LoadedBtf : IDisposable
{
    private LoadedBtf(SafeBpfHandle handle) => Handle = handle;

    /// <summary>The BTF object's fd.</summary>
    public SafeBpfHandle Handle { get; }

    /// <summary>Uploads <paramref name="btf"/> (raw .BTF section bytes, as the kernel expects them).</summary>
    public static LoadedBtf Load(ReadOnlySpan<byte> btf) => Load(LinuxBpfSyscalls.Instance, btf);

    internal static LoadedBtf Load(IBpfSyscalls sys, ReadOnlySpan<byte> btf)
    {
        var fd = BpfInterop.BtfLoad(sys, btf, [], out var errno);
        if (fd >= 0)
            return new LoadedBtf(new SafeBpfHandle(fd));
        // Retry with a log so the error says which type the kernel disliked.
        var log = new byte[256 * 1024];
        fd = BpfInterop.BtfLoad(sys, btf, log, out var logErrno);
        if (fd >= 0)
            return new LoadedBtf(new SafeBpfHandle(fd));
        var text = Encoding.UTF8.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
        var lastLines = string.Join(" | ", text.Split('\n').Where(l => l.Length > 0).TakeLast(2));
        var subject = lastLines.Length == 0 ? "the object's BTF" : $"the object's BTF (kernel log: {lastLines})";
        throw ThrowHelper.BpfCommandFailed(BpfCmd.BPF_BTF_LOAD, logErrno == Errno.None ? errno : logErrno, subject);
    }

    /// <summary>Closes the BTF fd; maps and programs that use it keep it alive in the kernel.</summary>
    public void Dispose() => Handle.Dispose();
}
