using OsqueryBpf.Events;

namespace OsqueryBpf.Probes;

/// <summary>One socket operation: a row of <c>ebpf_socket_events</c>.</summary>
public sealed class SocketEvent : Event
{
    /// <summary>connect, accept, bind, listen or close.</summary>
    public string Action { get; set; } = "";

    /// <summary>The syscall (connect, accept4, bind, listen, close, ...).</summary>
    public string Syscall { get; set; } = "";

    /// <summary>The socket's file descriptor (for accept, the new one).</summary>
    public long Fd { get; set; }

    /// <summary>Address family: 2 (AF_INET) or 10 (AF_INET6).</summary>
    public int Family { get; set; }

    /// <summary>Socket type: 1 (SOCK_STREAM) or 2 (SOCK_DGRAM).</summary>
    public int Type { get; set; }

    /// <summary>Protocol: 6 (TCP) or 17 (UDP).</summary>
    public int Protocol { get; set; }

    /// <summary>Local address in canonical text form.</summary>
    public string LocalAddress { get; set; } = "";

    /// <summary>Local port.</summary>
    public int LocalPort { get; set; }

    /// <summary>Remote address in canonical text form.</summary>
    public string RemoteAddress { get; set; } = "";

    /// <summary>Remote port.</summary>
    public int RemotePort { get; set; }

    /// <summary>The syscall's return value (a negative errno on failure).</summary>
    public long ExitCode { get; set; }

    /// <summary>succeeded, failed or in_progress.</summary>
    public string Status { get; set; } = "";

    /// <summary>Login (audit) user id of the calling task (its loginuid); 4294967295 when unset.</summary>
    public long Auid { get; set; }

    /// <summary>The process's binary.</summary>
    public string Path { get; set; } = "";

    /// <summary>Nanoseconds spent in the syscall.</summary>
    public long Duration { get; set; }
}
