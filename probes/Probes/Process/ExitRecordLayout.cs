using System.Runtime.InteropServices;
using OsqueryBpf.Probes.Decoding;

namespace OsqueryBpf.Probes;

/// <summary>Mirror of <c>struct exit_record</c> (probes/bpf/process.bpf.c).</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public readonly struct ExitRecordLayout
{
    /// <summary>Bytes in the record.</summary>
    public const int Size = 88;

    /// <summary>The common header.</summary>
    [FieldOffset(0)] public readonly EventHeader Header;

    /// <summary>task->exit_code, a wait status: (code &lt;&lt; 8) | signal, 0x80 for a core dump.</summary>
    [FieldOffset(72)] public readonly long Status;

    /// <summary>Nanoseconds from the process's start to its exit.</summary>
    [FieldOffset(80)] public readonly ulong LifetimeNs;
}
