using System.Globalization;
using OsqueryBpf.Bpf.Interop;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Programs;
using OsqueryBpf.Bpf.SafeHandles;

namespace OsqueryBpf.Bpf.Links;

/// <summary>
/// A socket filter program (SEC("socket")) attached to its own AF_PACKET socket with SO_ATTACH_BPF. The
/// program sees every packet on the interface (or on all interfaces); what it returns is how many bytes
/// of the packet are queued on <see cref="Socket"/> (0: none). Programs that report through a ring buffer
/// return 0 and the socket stays empty; others can be read with <see cref="TryReceive"/>.
/// </summary>
/// <remarks>Requires Linux 3.19; needs CAP_NET_RAW for the socket.</remarks>
public sealed class SocketFilterLink : IBpfLink
{
    private SocketFilterLink(SafePacketSocketHandle socket, string programName, string target)
    {
        Socket = socket;
        ProgramName = programName;
        Target = target;
    }

    /// <inheritdoc />
    public string ProgramName { get; }

    /// <inheritdoc />
    public string Target { get; }

    /// <summary>The non-blocking AF_PACKET socket the filter is attached to.</summary>
    public SafePacketSocketHandle Socket { get; }

    /// <summary>
    /// Opens an AF_PACKET socket on <paramref name="interfaceName"/> ("lo"), or on every interface when
    /// null, and attaches <paramref name="program"/> to it.
    /// </summary>
    public static SocketFilterLink Attach(BpfProgram program, string? interfaceName = null)
    {
        if (program.Type != ProgramType.SocketFilter)
            throw new ArgumentException($"Program '{program.Name}' is a {program.Type} program, not a socket filter.", nameof(program));
        var index = interfaceName is null ? 0 : InterfaceIndex(interfaceName);
        var socket = Libc.OpenPacketSocket(index);
        try
        {
            Libc.AttachSocketFilter(socket, program.Handle, program.Name);
            return new SocketFilterLink(socket, program.Name, "socket/" + (interfaceName ?? "all interfaces"));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies the next queued packet (up to the bytes the filter kept) into <paramref name="buffer"/>.
    /// Returns its length, or -1 when none is queued.
    /// </summary>
    public int TryReceive(Span<byte> buffer) => Libc.Receive(Socket, buffer);

    /// <summary>Closes the socket, which detaches the program.</summary>
    public void Dispose() => Socket.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"{ProgramName} -> {Target}";

    private static int InterfaceIndex(string name)
    {
        var path = $"/sys/class/net/{name}/ifindex";
        if (!File.Exists(path))
            throw new ArgumentException($"There is no network interface named '{name}' ({path} does not exist).", nameof(name));
        return int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
    }
}
