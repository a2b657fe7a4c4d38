using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.TestSupport;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>The socket probe loaded once for <see cref="SocketProbeKernelTests"/>, recording everything (this process too).</summary>
public class SocketProbeFixture : IDisposable
{
    private readonly object _gate = new();
    private LoadedNetProbe<SocketEvent>? _probe;

    internal LoadedNetProbe<SocketEvent> Probe()
    {
        Requirements.RequireRoot();
        Requirements.RequireKernelBtf();
        lock (_gate)
        {
            if (_probe is null)
            {
                var decoder = new SocketRecordDecoder(new BootClock());
                _probe = new LoadedNetProbe<SocketEvent>(SocketProbe.Definition, AsKernel,
                    (ReadOnlySpan<byte> record, out SocketEvent? item, out string? error) =>
                    {
                        bool ok = decoder.TryDecode(record, out var evt, out error);
                        item = evt as SocketEvent;
                        return ok;
                    },
                    // Keep loopback traffic only: the machine's other traffic is not ours to assert on.
                    e => e.LocalAddress is "127.0.0.1" or "::1" or "::ffff:127.0.0.1" or "0.0.0.0" or "::" ||
                         e.RemoteAddress is "127.0.0.1" or "::1" or "::ffff:127.0.0.1");
            }
            return _probe;
        }
    }

    /// <summary>The older kernel whose code paths the probe takes; null: this kernel's own.</summary>
    internal virtual Kernel.OlderKernel? AsKernel => null;

    public static string Describe(SocketEvent e) =>
        $"{e.Action}/{e.Syscall} pid={e.Pid} fd={e.Fd} fam={e.Family} type={e.Type} proto={e.Protocol} " +
        $"{e.LocalAddress}:{e.LocalPort} -> {e.RemoteAddress}:{e.RemotePort} ret={e.ExitCode} {e.Status}";

    public void Dispose() => _probe?.Dispose();
}
