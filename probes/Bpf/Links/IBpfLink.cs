namespace OsqueryBpf.Bpf.Links;

/// <summary>An attached program. Disposing detaches it and closes whatever fds the attachment holds.</summary>
public interface IBpfLink : IDisposable
{
    /// <summary>The attached program's name.</summary>
    string ProgramName { get; }

    /// <summary>What it is attached to, for logs and status tables ("raw_tracepoint/sys_enter").</summary>
    string Target { get; }
}
