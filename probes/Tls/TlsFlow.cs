using System.Buffers.Binary;
using System.Net;

namespace OsqueryBpf.Tls;

/// <summary>
/// One direction of a TCP connection: source and destination address and port. IPv4 addresses are held as
/// IPv4-mapped IPv6 (::ffff:a.b.c.d), so one key type serves both families. A value type: no allocation.
/// </summary>
public readonly record struct TlsFlow(UInt128 SourceAddress, ushort SourcePort, UInt128 DestinationAddress, ushort DestinationPort)
{
    /// <summary>A flow from addresses in network byte order, 4 (IPv4) or 16 (IPv6) bytes each.</summary>
    /// <exception cref="ArgumentException">An address is neither 4 nor 16 bytes.</exception>
    public static TlsFlow Create(ReadOnlySpan<byte> source, ushort sourcePort, ReadOnlySpan<byte> destination, ushort destinationPort) =>
        new(Address(source), sourcePort, Address(destination), destinationPort);

    /// <summary>The other direction of the same connection.</summary>
    public TlsFlow Reverse() => new(DestinationAddress, DestinationPort, SourceAddress, SourcePort);

    /// <summary>An address as held in a flow: IPv6 as it is, IPv4 mapped into IPv6.</summary>
    public static UInt128 Address(ReadOnlySpan<byte> address) => address.Length switch
    {
        4 => ((UInt128)0xFFFF << 32) | BinaryPrimitives.ReadUInt32BigEndian(address),
        16 => BinaryPrimitives.ReadUInt128BigEndian(address),
        _ => throw new ArgumentException($"An address has 4 or 16 bytes, not {address.Length}.", nameof(address)),
    };

    /// <summary>An address of a flow as an <see cref="IPAddress"/> (IPv4-mapped addresses as IPv4).</summary>
    public static IPAddress ToIPAddress(UInt128 address)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        var ip = new IPAddress(bytes);
        return ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{ToIPAddress(SourceAddress)}:{SourcePort} -> {ToIPAddress(DestinationAddress)}:{DestinationPort}";
}
