using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using OsqueryBpf.Events;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.Probes.Runtime;

namespace OsqueryBpf.Probes;

/// <summary>Decodes socket.bpf.c records into <see cref="SocketEvent"/>s.</summary>
/// <remarks>
/// <para>Addresses (see socket.bpf.c): connect's remote end is the address the process asked for and its
/// local end the one the kernel chose; accept has both ends of the new connection (the peer is remote);
/// bind has the local end the socket took (the asked one when bind failed); listen and close have the
/// socket's ends. An unset end is <c>0.0.0.0</c> / <c>::</c> with port 0.</para>
/// <para><see cref="SocketEvent.Status"/>: <c>in_progress</c> when connect returned -EINPROGRESS (a
/// non-blocking connect under way), <c>failed</c> for any other negative result, else <c>succeeded</c>.</para>
/// </remarks>
public sealed class SocketRecordDecoder : IRecordDecoder
{
    private const long EInProgress = 115;

    private static readonly string[] ActionNames = ["", "connect", "accept", "bind", "listen", "close"];
    private static readonly string[] SyscallNames = ["", "connect", "accept", "accept4", "bind", "listen", "close"];

    private readonly BootClock _clock;
    private readonly EscapedText _text = new();
    private readonly AddressText _addresses = new();

    /// <summary>A decoder converting times with <paramref name="clock"/>.</summary>
    public SocketRecordDecoder(BootClock clock) => _clock = clock;

    /// <inheritdoc />
    public bool TryDecode(ReadOnlySpan<byte> record, [NotNullWhen(true)] out Event? evt, [NotNullWhen(false)] out string? error)
    {
        evt = null;
        if (!HeaderDecoding.TryRead(record, out var header))
        {
            error = $"A socket record of {record.Length} bytes is shorter than the {EventHeader.Size}-byte header.";
            return false;
        }
        if (header.Kind != SocketRecordLayout.Kind)
        {
            error = $"A socket record has kind {header.Kind} instead of {SocketRecordLayout.Kind}.";
            return false;
        }
        if (record.Length < SocketRecordLayout.FixedSize || header.RecordSize > record.Length)
        {
            error = $"A socket record of {record.Length} bytes (header says {header.RecordSize}) is shorter than its {SocketRecordLayout.FixedSize}-byte fixed part or its stated size.";
            return false;
        }
        var fixedPart = MemoryMarshal.Read<SocketRecordLayout>(record);
        int action = (int)fixedPart.Action, syscall = (int)fixedPart.Syscall;
        if (action <= 0 || action >= ActionNames.Length || syscall <= 0 || syscall >= SyscallNames.Length)
        {
            error = $"A socket record has action {action} and syscall {syscall}, which this decoder does not know.";
            return false;
        }
        if (fixedPart.Family != AddressText.AfInet && fixedPart.Family != AddressText.AfInet6)
        {
            error = $"A socket record has address family {fixedPart.Family}; the probe reports only AF_INET (2) and AF_INET6 (10).";
            return false;
        }
        var data = record[SocketRecordLayout.FixedSize..];
        if (fixedPart.ExeLength > data.Length)
        {
            error = $"A socket record's executable needs {fixedPart.ExeLength} bytes but only {data.Length} follow its fixed part.";
            return false;
        }

        var socket = new SocketEvent();
        HeaderDecoding.Fill(socket, header, record, _clock, _text);
        socket.Action = ActionNames[action];
        socket.Syscall = SyscallNames[syscall];
        socket.Fd = fixedPart.Fd;
        socket.Family = fixedPart.Family;
        socket.Type = fixedPart.Type;
        socket.Protocol = fixedPart.Protocol;
        socket.LocalAddress = _addresses.Format(fixedPart.Family, record.Slice(SocketRecordLayout.LocalAddressOffset, 16));
        socket.LocalPort = fixedPart.LocalPort;
        socket.RemoteAddress = _addresses.Format(fixedPart.Family, record.Slice(SocketRecordLayout.RemoteAddressOffset, 16));
        socket.RemotePort = fixedPart.RemotePort;
        socket.ExitCode = fixedPart.Ret;
        socket.Status = StatusOf(fixedPart.Action, fixedPart.Ret);
        socket.Path = _text.Decode(data[..fixedPart.ExeLength]);
        socket.Auid = header.Auid; // the caller's loginuid, read by the probe in the syscall's own context
        socket.Duration = (long)Math.Min(fixedPart.DurationNs, long.MaxValue);
        evt = socket;
        error = null;
        return true;
    }

    /// <summary>succeeded, failed or in_progress, from the syscall's result.</summary>
    public static string StatusOf(SocketAction action, long ret) =>
        ret >= 0 ? "succeeded" : action == SocketAction.Connect && ret == -EInProgress ? "in_progress" : "failed";
}
