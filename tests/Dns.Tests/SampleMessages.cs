using T = OsqueryBpf.Dns.DnsNames.Types;

namespace OsqueryBpf.Dns.Tests;

/// <summary>Well-formed messages with many record types, shared by tests and the fuzzer's seed corpus.</summary>
internal static class SampleMessages
{
    public static byte[] Query(string name = "www.example.test", ushort type = T.A, ushort id = 0x4242) =>
        new DnsMessageBuilder(id: id, flags: 0x0120).Question(name, type).Opt(1232, options: b => b.U16(10).U16(8).U32(1).U32(2)).Build();

    public static byte[] RichResponse() =>
        new DnsMessageBuilder(id: 0x4242, flags: 0x8180)
            .Question("www.example.test", T.A)
            .Answer("www.example.test", T.CNAME, 300, b => b.Name("cdn.example.net"))
            .Answer("cdn.example.net", T.A, 60, b => b.Address("93.184.216.34"))
            .Answer("cdn.example.net", T.A, 60, b => b.Address("93.184.216.35"))
            .Answer("cdn.example.net", T.AAAA, 60, b => b.Address("2606:2800:220:1::248"))
            .Answer("example.test", T.MX, 3600, b => b.U16(10).Name("mail.example.test"))
            .Answer("example.test", T.TXT, 3600, b => b.CharacterString("v=spf1 include:x; -all").CharacterString("two"))
            .Answer("_sip._tcp.example.test", T.SRV, 60, b => b.U16(1).U16(2).U16(5061).Name("sip.example.test"))
            .Answer("example.test", T.CAA, 60, b => b.U8(0).CharacterString("issue").Bytes("ca.test"u8))
            .Answer("example.test", T.HTTPS, 60, b => b.U16(1).Name(".").U16(1).U16(3).CharacterString("h2")
                .U16(3).U16(2).U16(443).U16(4).U16(4).Address("192.0.2.7"))
            .Answer("4.3.2.1.in-addr.arpa", T.PTR, 60, b => b.Name("host.example.test"))
            .Answer("example.test", 4660, 60, b => b.Bytes([1, 2, 3]))
            .Authority("example.test", T.NS, 3600, b => b.Name("ns1.example.test"))
            .Authority("example.test", T.SOA, 3600, b => b.Name("ns1.example.test").Name("hostmaster.example.test")
                .U32(1).U32(2).U32(3).U32(4).U32(5))
            .Additional("ns1.example.test", T.A, 3600, b => b.Address("192.0.2.53"))
            .Opt(1232, dnssecOk: true)
            .Build();

    public static byte[] NxDomain() =>
        new DnsMessageBuilder(id: 7, flags: 0x8183).Question("nope.example.test", T.AAAA)
            .Authority("example.test", T.SOA, 60, b => b.Name("ns1.example.test").Name("h.example.test")
                .U32(1).U32(2).U32(3).U32(4).U32(5))
            .Build();
}
