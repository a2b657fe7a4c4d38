namespace OsqueryBpf.Probes;

/// <summary>enum socket_action in socket.bpf.c: the <c>action</c> column.</summary>
public enum SocketAction : byte
{
    /// <summary>connect(2).</summary>
    Connect = 1,

    /// <summary>accept(2) or accept4(2).</summary>
    Accept = 2,

    /// <summary>bind(2).</summary>
    Bind = 3,

    /// <summary>listen(2).</summary>
    Listen = 4,

    /// <summary>close(2) of an inet socket.</summary>
    Close = 5,
}
