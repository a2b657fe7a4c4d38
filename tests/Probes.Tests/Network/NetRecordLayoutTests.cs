using System.Runtime.InteropServices;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Object.Btf;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

/// <summary>The C# layouts of socket_record and dns_record against the BTF of the compiled objects.</summary>
public sealed class NetRecordLayoutTests
{
    private static readonly (string C, string CSharp)[] SocketFields =
    [
        ("ret", "Ret"), ("duration_ns", "DurationNs"), ("fd", "Fd"), ("family", "Family"), ("type", "Type"),
        ("protocol", "Protocol"), ("local_port", "LocalPort"), ("remote_port", "RemotePort"), ("action", "Action"),
        ("syscall", "Syscall"), ("exe_len", "ExeLength"),
    ];

    private static readonly (string C, string CSharp)[] DnsFields =
    [
        ("server_pid", "ServerPid"), ("server_tid", "ServerTid"), ("src_port", "SourcePort"),
        ("dst_port", "DestinationPort"), ("family", "Family"), ("protocol", "Protocol"), ("direction", "Direction"),
        ("client_source", "ClientSource"), ("server_source", "ServerSource"), ("tcp_flags", "TcpFlags"),
        ("ifindex", "InterfaceIndex"), ("tcp_seq", "TcpSequence"), ("payload_len", "PayloadLength"),
        ("captured_len", "CapturedLength"),
    ];

    [SkippableFact]
    public void Socket_record_matches_btf()
    {
        var btf = CollectionSpec.Parse(SocketProbe.Definition.ReadObject()).Btf!;
        Assert.True(btf.TryFindType("socket_record", BtfKind.Struct, out var id));
        AssertOffsets<SocketRecordLayout>(btf, id, SocketFields);
        AssertOffset(btf, id, "local_addr", SocketRecordLayout.LocalAddressOffset);
        AssertOffset(btf, id, "remote_addr", SocketRecordLayout.RemoteAddressOffset);
        AssertOffset(btf, id, "data", SocketRecordLayout.FixedSize);
        Assert.Equal(SocketRecordLayout.FixedSize, Marshal.SizeOf<SocketRecordLayout>());
    }

    [SkippableFact]
    public void Dns_record_matches_btf()
    {
        var btf = CollectionSpec.Parse(DnsProbe.Definition.ReadObject()).Btf!;
        Assert.True(btf.TryFindType("dns_record", BtfKind.Struct, out var id));
        AssertOffsets<DnsRecordLayout>(btf, id, DnsFields);
        AssertOffset(btf, id, "server_comm", DnsRecordLayout.ServerCommOffset);
        AssertOffset(btf, id, "src_addr", DnsRecordLayout.SourceAddressOffset);
        AssertOffset(btf, id, "dst_addr", DnsRecordLayout.DestinationAddressOffset);
        AssertOffset(btf, id, "payload", DnsRecordLayout.FixedSize);
        Assert.Equal(DnsRecordLayout.FixedSize + DnsRecordLayout.MaxPayload, (int)btf.GetTypeSize(id));
        Assert.Equal(DnsRecordLayout.FixedSize, Marshal.SizeOf<DnsRecordLayout>());
    }

    private static void AssertOffset(BtfSpec btf, int id, string member, int expectedBytes)
    {
        Assert.True(btf.TryGetMemberOffset(id, member, out var bits, out _), $"{member} is in the C struct");
        Assert.Equal(expectedBytes * 8, (int)bits);
    }

    private static void AssertOffsets<T>(BtfSpec btf, int id, (string C, string CSharp)[] fields)
    {
        foreach (var (c, cs) in fields)
            AssertOffset(btf, id, c, (int)Marshal.OffsetOf<T>(cs));
    }
}
