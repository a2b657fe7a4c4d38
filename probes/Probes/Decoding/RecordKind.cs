namespace OsqueryBpf.Probes.Decoding;

/// <summary>The <c>kind</c> of a ring record (<c>enum event_kind</c> in probes/bpf/include/common.h).</summary>
public enum RecordKind : ushort
{
    /// <summary>An exec, successful or failed: <see cref="ExecRecordLayout"/>.</summary>
    ProcessExec = 1,

    /// <summary>A process exit: <see cref="ExitRecordLayout"/>.</summary>
    ProcessExit = 2,

    /// <summary>A fork of a new process: <see cref="ForkRecordLayout"/>.</summary>
    ProcessFork = 3,

    /// <summary>A file operation: <see cref="FileRecordLayout"/>.</summary>
    File = 16,
}
