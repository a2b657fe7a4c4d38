using System.Runtime.InteropServices;

namespace OsqueryBpf.Bpf.Interop;

/// <summary>
/// System call numbers that libc does not wrap (there is no bpf() or perf_event_open() in glibc), and prlimit64,
/// which Tmds.LibC does not bind.
/// They differ per architecture: arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h.
/// </summary>
internal static class SyscallNumbers
{
    public static readonly int Bpf;
    public static readonly int PerfEventOpen;
    public static readonly int Prlimit64;

    static SyscallNumbers()
    {
        (Bpf, PerfEventOpen, Prlimit64) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (321, 298, 302),
            Architecture.Arm64 => (280, 241, 261),
            // Checked here, once, rather than failing with an unrelated syscall's ENOSYS later.
            var other => throw new PlatformNotSupportedException(
                $"The eBPF loader supports x86_64 and arm64 Linux only, not {other}."),
        };
    }
}
