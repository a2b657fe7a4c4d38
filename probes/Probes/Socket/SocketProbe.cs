using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Probes.Runtime;
using OsqueryBpf.Tables.Schema;

namespace OsqueryBpf.Probes;

/// <summary>The socket probe (socket.bpf.c): connect, accept, bind, listen and close of IPv4 and IPv6 sockets into <c>ebpf_socket_events</c>.</summary>
public static class SocketProbe
{
    /// <summary><c>ebpf_socket_events</c>.</summary>
    public static TableDefinition Table { get; } = new(
        "ebpf_socket_events",
        "One row per socket operation (connect, accept, bind, listen, close), IPv4 and IPv6, TCP and UDP. Not seen: connects and accepts submitted through io_uring.",
        isEvented: true,
        typeof(SocketEvent),
        new ColumnListBuilder<SocketEvent>().Time()
            .Text("action", "connect, accept, bind, listen or close.", e => e.Action)
            .Text("syscall", "The syscall (connect, accept4, bind, listen, close, ...).", e => e.Syscall)
            .NumberAsText("fd", "The socket's file descriptor (for accept, the new one); TEXT as in osquery.", e => e.Fd)
            .Integer("family", ColumnType.Integer, "Address family: 2 (AF_INET) or 10 (AF_INET6).", e => e.Family)
            .Integer("type", ColumnType.Integer, "Socket type: 1 (SOCK_STREAM) or 2 (SOCK_DGRAM).", e => e.Type)
            .Integer("protocol", ColumnType.Integer, "Protocol: 6 (TCP) or 17 (UDP).", e => e.Protocol)
            .Text("local_address", "Local address in canonical text form.", e => e.LocalAddress)
            .Integer("local_port", ColumnType.Integer, "Local port.", e => e.LocalPort)
            .Text("remote_address", "Remote address in canonical text form.", e => e.RemoteAddress)
            .Integer("remote_port", ColumnType.Integer, "Remote port.", e => e.RemotePort)
            .NumberAsText("exit_code", "The syscall's return value (a negative errno on failure).", e => e.ExitCode)
            .Text("status", "succeeded, failed or in_progress.", e => e.Status)
            .Flag("success", "1 when the syscall returned 0 or more, else 0 (in_progress is 0, as audit's success=no). Hidden and deprecated, as in osquery.",
                e => e.ExitCode >= 0, ColumnOptions.Index | ColumnOptions.Hidden)
            .Integer("duration", ColumnType.BigInt, "Nanoseconds spent in the syscall.", e => e.Duration)
            .ProcessIdentity()
            .Integer("auid", ColumnType.BigInt, "Login (audit) user id of the calling task (its loginuid, read with the event); 4294967295 when unset.", e => e.Auid)
            .Text("path", "The process's binary.", e => e.Path)
            .Tail()
            .Eid()
            .Build());

    /// <summary>The probe. It has no settings of its own.</summary>
    public static ProbeDefinition Definition { get; } = new()
    {
        Name = "socket",
        Tables = [Table],
        SettingsJson = NoSettingsJson.Default.NoSettings,
        DefaultSettings = () => new NoSettings(),
        CreateDecoder = (_, context) => new SocketRecordDecoder(context.Clock, context.Containers),
    };
}
