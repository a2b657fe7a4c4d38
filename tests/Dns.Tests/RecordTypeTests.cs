using Xunit;
using T = OsqueryBpf.Dns.DnsNames.Types;

namespace OsqueryBpf.Dns.Tests;

public class RecordTypeTests
{
    private static DnsRecord OnlyAnswer(Action<DnsMessageBuilder> data, ushort type, string owner = "x.test")
    {
        var bytes = new DnsMessageBuilder(flags: 0x8180).Question("x.test", type).Answer(owner, type, 300, data).Build();
        var result = DnsMessage.Parse(bytes);
        Assert.True(result.IsComplete, result.Reason);
        return Assert.Single(result.Message!.Answers);
    }

    [Fact]
    public void A_record()
    {
        var r = OnlyAnswer(b => b.Address("93.184.216.34"), T.A);
        Assert.Equal("93.184.216.34", r.Data);
        Assert.Equal("x.test.", r.Name);
        Assert.Equal(300u, r.Ttl);
        Assert.Equal("IN", r.ClassName);
        Assert.Equal(4, r.DataLength);
    }

    [Theory]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1")]
    [InlineData("::", "::")]
    public void Aaaa_record_in_rfc5952_form(string input, string expected) =>
        Assert.Equal(expected, OnlyAnswer(b => b.Address(input), T.AAAA).Data);

    [Theory]
    [InlineData(T.CNAME)]
    [InlineData(T.NS)]
    [InlineData(T.PTR)]
    [InlineData(T.DNAME)]
    public void Single_name_records(ushort type) =>
        Assert.Equal("target.example.net.", OnlyAnswer(b => b.Name("target.example.net"), type).Data);

    [Fact]
    public void Compressed_name_in_record_data_points_back_to_the_question()
    {
        var r = OnlyAnswer(b => b.Name("alias.x.test"), T.CNAME);
        Assert.Equal("alias.x.test.", r.Data);
        Assert.Equal(8, r.DataLength); // the "alias" label (6 bytes) and a pointer (2) to the question's x.test
    }

    [Fact]
    public void Mx_record()
    {
        Assert.Equal("10 mail.x.test.", OnlyAnswer(b => b.U16(10).Name("mail.x.test"), T.MX).Data);
    }

    [Fact]
    public void Soa_record()
    {
        var r = OnlyAnswer(b => b.Name("ns1.x.test").Name("hostmaster.x.test")
            .U32(2026112401).U32(7200).U32(3600).U32(1209600).U32(300), T.SOA);
        Assert.Equal("ns1.x.test. hostmaster.x.test. 2026112401 7200 3600 1209600 300", r.Data);
    }

    [Fact]
    public void Srv_record()
    {
        Assert.Equal("0 5 5060 sip.x.test.",
            OnlyAnswer(b => b.U16(0).U16(5).U16(5060).Name("sip.x.test"), T.SRV, "_sip._udp.x.test").Data);
    }

    [Fact]
    public void Txt_record_with_several_strings_and_escapes()
    {
        var r = OnlyAnswer(b => b.CharacterString("v=spf1 -all").CharacterString("")
            .CharacterString("quote\" back\\ semi; ok").CharacterString([0x00, 0xC3, 0xA9, 0x7F]), T.TXT);
        Assert.Equal("\"v=spf1 -all\" \"\" \"quote\\\" back\\\\ semi\\059 ok\" \"\\000\\195\\169\\127\"", r.Data);
    }

    [Fact]
    public void Caa_record()
    {
        var r = OnlyAnswer(b => b.U8(128).CharacterString("issue").Bytes("letsencrypt.org"u8), T.CAA);
        Assert.Equal("128 issue \"letsencrypt.org\"", r.Data);
    }

    [Fact]
    public void Https_record_with_every_known_parameter()
    {
        var ech = new byte[] { 0x00, 0x45, 0xFE, 0x0D, 0xFF };
        var r = OnlyAnswer(b => b.U16(1).Name(".")
            .U16(0).U16(4).U16(1).U16(3)                        // mandatory=alpn,port
            .U16(1).U16(8).CharacterString("h2").CharacterString("h3,x") // alpn
            .U16(2).U16(0)                                      // no-default-alpn
            .U16(3).U16(2).U16(8443)                            // port
            .U16(4).U16(8).Address("192.0.2.1").Address("192.0.2.2")
            .U16(5).U16((ushort)ech.Length).Bytes(ech)
            .U16(6).U16(16).Address("2001:db8::53")
            .U16(7).U16(9).Bytes("/q{?dns}\""u8)
            .U16(8).U16(0)
            .U16(65000).U16(3).Bytes("a b"u8)
            .U16(65001).U16(0), T.HTTPS);
        Assert.Equal("1 . mandatory=alpn,port alpn=\"h2,h3\\\\,x\" no-default-alpn port=8443 " +
                     "ipv4hint=192.0.2.1,192.0.2.2 ech=" + Convert.ToBase64String(ech) + " ipv6hint=2001:db8::53 " +
                     "dohpath=\"/q{?dns}\\\"\" ohttp key65000=\"a b\" key65001", r.Data);
    }

    [Fact]
    public void Svcb_alias_mode_has_only_priority_and_target()
    {
        Assert.Equal("0 pool.svc.x.test.", OnlyAnswer(b => b.U16(0).Name("pool.svc.x.test"), T.SVCB).Data);
    }

    [Fact]
    public void Unknown_type_uses_rfc3597_generic_form()
    {
        var r = OnlyAnswer(b => b.Bytes([0xDE, 0xAD, 0x00, 0x01]), 999);
        Assert.Equal("TYPE999", r.TypeName);
        Assert.Equal(@"\# 4 dead0001", r.Data);
    }

    [Fact]
    public void Known_but_undecoded_type_uses_generic_form_with_its_mnemonic()
    {
        var r = OnlyAnswer(b => b.Bytes([0x12, 0x34, 0x08, 0x02, 0xAA]), 43);
        Assert.Equal("DS", r.TypeName);
        Assert.Equal(@"\# 5 12340802aa", r.Data);
    }

    [Fact]
    public void Empty_record_data_is_generic_zero_for_any_type()
    {
        Assert.Equal(@"\# 0", OnlyAnswer(_ => { }, T.A).Data);
        Assert.Equal(@"\# 0", OnlyAnswer(_ => { }, T.TXT).Data);
    }

    [Fact]
    public void Edns_opt_record_gives_udp_size_do_bit_and_extended_rcode()
    {
        // rcode 16 (BADVERS) = extended high bits 1, header bits 0.
        var bytes = new DnsMessageBuilder(flags: 0x8000).Question("x.test", 1)
            .Opt(1232, extendedRcode: 1, dnssecOk: true, options: b => b.U16(10).U16(8).Bytes([1, 2, 3, 4, 5, 6, 7, 8]).U16(12).U16(0))
            .Build();
        var result = DnsMessage.Parse(bytes);
        Assert.True(result.IsComplete, result.Reason);
        var m = result.Message!;
        var edns = Assert.IsType<DnsEdns>(m.Edns);
        Assert.Equal(1232, edns.UdpPayloadSize);
        Assert.True(edns.DnssecOk);
        Assert.Equal(1, edns.ExtendedRcodeHigh);
        Assert.Equal(0, edns.Version);
        Assert.Equal(2, edns.OptionCount);
        Assert.Equal(16, m.Rcode);
        Assert.Equal("BADVERS", DnsNames.RcodeName(m.Rcode));
        var opt = Assert.Single(m.Additionals);
        Assert.Equal("OPT", opt.TypeName);
        Assert.Equal("udp=1232 version=0 do=1 ercode=1 options=COOKIE:0102030405060708,PADDING", opt.Data);
    }

    [Fact]
    public void Records_in_all_three_sections_are_kept_apart()
    {
        var bytes = new DnsMessageBuilder(flags: 0x8183).Question("nx.x.test", 1)
            .Authority("x.test", T.SOA, 60, b => b.Name("ns.x.test").Name("h.x.test").U32(1).U32(2).U32(3).U32(4).U32(5))
            .Additional("ns.x.test", T.A, 60, b => b.Address("10.0.0.53"))
            .Build();
        var m = DnsMessage.Parse(bytes).Message!;
        Assert.Empty(m.Answers);
        Assert.Equal("ns.x.test. h.x.test. 1 2 3 4 5", Assert.Single(m.Authorities).Data);
        Assert.Equal("10.0.0.53", Assert.Single(m.Additionals).Data);
        Assert.Equal(3, m.Rcode);
    }
}
