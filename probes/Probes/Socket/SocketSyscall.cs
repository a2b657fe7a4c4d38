namespace OsqueryBpf.Probes;

/// <summary>enum socket_syscall in socket.bpf.c: the <c>syscall</c> column.</summary>
public enum SocketSyscall : byte
{
    /// <summary>connect.</summary>
    Connect = 1,

    /// <summary>accept.</summary>
    Accept = 2,

    /// <summary>accept4.</summary>
    Accept4 = 3,

    /// <summary>bind.</summary>
    Bind = 4,

    /// <summary>listen.</summary>
    Listen = 5,

    /// <summary>close.</summary>
    Close = 6,
}
