using OsqueryBpf.Bpf.Object;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>The .rodata settings the loader may set on socket.bpf.o and dns.bpf.o exist with their sizes.</summary>
public sealed class NetConstantsTests
{
    [SkippableFact]
    public void Socket_probe_settings_exist()
    {
        var spec = CollectionSpec.Parse(SocketProbe.Definition.ReadObject());
        spec.SetConstant("ignore_tgid", 1234u);
        spec.SetConstant("ring_wakeup_bytes", 65536u);
        spec.SetConstant("record_executable", (byte)0);
        spec.SetConstant("record_accept_again", (byte)1);
        Assert.ThrowsAny<Exception>(() => spec.SetConstant("payload_limit", 1u));
    }

    [SkippableFact]
    public void Dns_probe_settings_exist()
    {
        var spec = CollectionSpec.Parse(DnsProbe.Definition.ReadObject());
        spec.SetConstant("ignore_tgid", 1234u);
        spec.SetConstant("ring_wakeup_bytes", 65536u);
        spec.SetConstant("payload_limit", 4096u);
        Assert.ThrowsAny<Exception>(() => spec.SetConstant("payload_limit", (byte)1)); // wrong size
    }
}
