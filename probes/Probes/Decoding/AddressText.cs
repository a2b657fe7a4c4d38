using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;

namespace OsqueryBpf.Probes.Decoding;

/// <summary>
/// Canonical text of the 16-byte address fields the network probes write (network byte order; IPv4 in the
/// first 4 bytes), as <see cref="IPAddress.ToString"/> formats it: dotted quad for AF_INET, RFC 5952 for
/// AF_INET6 (lower case, longest zero run as "::").
/// </summary>
/// <remarks>
/// <para>An AF_INET6 socket talking to an IPv4 peer has the IPv4-mapped address in the kernel, and it is
/// shown as the kernel has it: <c>::ffff:127.0.0.1</c>, not <c>127.0.0.1</c>. The family column says which
/// socket it was; a query for an IPv4 peer must match both forms.</para>
/// <para>Allocation: a host talks to few distinct addresses, so the last text of each of 256 hash slots is
/// kept and reused; a hit allocates nothing, a miss formats through <see cref="IPAddress"/> (the address
/// object and the string). Not thread-safe: one instance per decoder.</para>
/// </remarks>
public sealed class AddressText
{
    /// <summary>AF_INET.</summary>
    public const ushort AfInet = 2;

    /// <summary>AF_INET6.</summary>
    public const ushort AfInet6 = 10;

    private const int SlotCount = 256;
    private readonly Slot[] _slots = new Slot[SlotCount];

    private struct Slot
    {
        public UInt128 Address;
        public ushort Family;
        public string? Text;
    }

    /// <summary>
    /// The text of <paramref name="address"/> (16 bytes) for <paramref name="family"/>; empty for families
    /// other than AF_INET and AF_INET6.
    /// </summary>
    public string Format(ushort family, ReadOnlySpan<byte> address)
    {
        if (address.Length < 16)
            throw new ArgumentException($"An address field has 16 bytes, not {address.Length}.", nameof(address));
        UInt128 key;
        if (family == AfInet)
            key = BinaryPrimitives.ReadUInt32LittleEndian(address);
        else if (family == AfInet6)
            key = MemoryMarshal.Read<UInt128>(address);
        else
            return "";

        int slot = (int)((ulong)(key ^ (key >> 64)) * 0x9E3779B97F4A7C15UL >> 56) ^ family;
        slot &= SlotCount - 1;
        ref var entry = ref _slots[slot];
        if (entry.Text is not null && entry.Family == family && entry.Address == key)
            return entry.Text;

        var text = new IPAddress(family == AfInet ? address[..4] : address[..16]).ToString();
        entry = new Slot { Address = key, Family = family, Text = text };
        return text;
    }
}
