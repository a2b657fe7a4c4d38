using System.Net;
using OsqueryBpf.Probes.Decoding;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Network;

public sealed class AddressTextTests
{
    private static byte[] Field(IPAddress address)
    {
        var field = new byte[16];
        address.GetAddressBytes().CopyTo(field, 0);
        return field;
    }

    [Fact]
    public void Random_addresses_match_ipaddress_formatting()
    {
        var random = new Random(20261124);
        var text = new AddressText();
        var bytes = new byte[16];
        for (int i = 0; i < 5000; i++)
        {
            random.NextBytes(bytes);
            // Zero runs of several lengths, to exercise "::" placement.
            int zeroFrom = random.Next(16), zeroLength = random.Next(17 - zeroFrom);
            Array.Clear(bytes, zeroFrom, zeroLength);
            Assert.Equal(new IPAddress(bytes).ToString(), text.Format(AddressText.AfInet6, bytes));
            Assert.Equal(new IPAddress(bytes.AsSpan(0, 4)).ToString(), text.Format(AddressText.AfInet, bytes));
        }
    }

    [Theory]
    [InlineData(2, "127.0.0.1", "127.0.0.1")]
    [InlineData(2, "0.0.0.0", "0.0.0.0")]
    [InlineData(10, "::", "::")]
    [InlineData(10, "::1", "::1")]
    [InlineData(10, "::ffff:10.1.2.3", "::ffff:10.1.2.3")]
    [InlineData(10, "FE80:0:0:0:0:0:0:1", "fe80::1")]
    [InlineData(10, "2001:db8:0:0:0:0:2:1", "2001:db8::2:1")]
    public void Known_addresses_have_their_canonical_text(ushort family, string input, string expected)
    {
        Assert.Equal(expected, new AddressText().Format(family, Field(IPAddress.Parse(input))));
    }

    [Fact]
    public void Ipv4_ignores_the_unused_bytes_of_the_field()
    {
        var field = Field(IPAddress.Parse("192.168.1.9"));
        field[9] = 0xAA;
        Assert.Equal("192.168.1.9", new AddressText().Format(AddressText.AfInet, field));
    }

    [Fact]
    public void A_repeated_address_reuses_its_string_and_slot_collisions_stay_correct()
    {
        var text = new AddressText();
        var field = Field(IPAddress.Parse("127.0.0.1"));
        var first = text.Format(AddressText.AfInet, field);
        Assert.Same(first, text.Format(AddressText.AfInet, field));
        // The same bytes under the other family are a different address.
        Assert.Equal("7f00:1::", text.Format(AddressText.AfInet6, field));
        for (int i = 0; i < 2000; i++)
        {
            var other = Field(new IPAddress(BitConverter.GetBytes(i * 7919 + 1)));
            Assert.Equal(new IPAddress(other.AsSpan(0, 4)).ToString(), text.Format(AddressText.AfInet, other));
        }
        Assert.Equal("127.0.0.1", text.Format(AddressText.AfInet, field));
    }

    [Fact]
    public void Other_families_have_no_text_and_short_fields_are_refused()
    {
        Assert.Equal("", new AddressText().Format(1, new byte[16]));
        Assert.Throws<ArgumentException>(() => new AddressText().Format(AddressText.AfInet, new byte[4]));
    }
}
