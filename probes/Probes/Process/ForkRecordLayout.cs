using System.Runtime.InteropServices;
using OsqueryBpf.Probes.Decoding;

namespace OsqueryBpf.Probes;

/// <summary>Mirror of <c>struct fork_record</c> (probes/bpf/process.bpf.c); the header describes the child.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public readonly struct ForkRecordLayout
{
    /// <summary>Bytes in the record.</summary>
    public const int Size = 80;

    /// <summary>The common header (the child process).</summary>
    [FieldOffset(0)] public readonly EventHeader Header;

    /// <summary>The parent's start time (boot ns).</summary>
    [FieldOffset(72)] public readonly ulong ParentStartNs;
}
