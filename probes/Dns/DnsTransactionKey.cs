using System.Buffers.Binary;
using System.Net;

namespace OsqueryBpf.Dns;

/// <summary>
/// What ties a response to its query: the transaction id, the transport, and both ends. IPv4 addresses are
/// held as IPv4-mapped IPv6 (<c>::ffff:a.b.c.d</c>), so a 4-byte and a mapped 16-byte form of the same
/// address are the same key.
/// </summary>
public readonly record struct DnsTransactionKey
{
    /// <summary>Makes a key from raw addresses of 4 (IPv4) or 16 (IPv6) bytes in network order.</summary>
    /// <exception cref="ArgumentException">An address is neither 4 nor 16 bytes long.</exception>
    public DnsTransactionKey(ushort id, DnsTransport protocol, ReadOnlySpan<byte> clientAddress, ushort clientPort,
        ReadOnlySpan<byte> serverAddress, ushort serverPort)
    {
        Id = id;
        Protocol = protocol;
        ClientAddress = ToUInt128(clientAddress, nameof(clientAddress));
        ClientPort = clientPort;
        ServerAddress = ToUInt128(serverAddress, nameof(serverAddress));
        ServerPort = serverPort;
    }

    /// <summary>Makes a key from <see cref="IPAddress"/> values.</summary>
    public DnsTransactionKey(ushort id, DnsTransport protocol, IPAddress clientAddress, ushort clientPort,
        IPAddress serverAddress, ushort serverPort)
        : this(id, protocol, clientAddress.GetAddressBytes(), clientPort, serverAddress.GetAddressBytes(), serverPort)
    {
    }

    /// <summary>The DNS transaction id.</summary>
    public ushort Id { get; }

    /// <summary>UDP or TCP.</summary>
    public DnsTransport Protocol { get; }

    /// <summary>The client's address as a 128-bit big-endian number (IPv4 mapped).</summary>
    public UInt128 ClientAddress { get; }

    /// <summary>The client's port.</summary>
    public ushort ClientPort { get; }

    /// <summary>The server's address as a 128-bit big-endian number (IPv4 mapped).</summary>
    public UInt128 ServerAddress { get; }

    /// <summary>The server's port.</summary>
    public ushort ServerPort { get; }

    private static UInt128 ToUInt128(ReadOnlySpan<byte> address, string parameter)
    {
        if (address.Length == 16)
            return BinaryPrimitives.ReadUInt128BigEndian(address);
        if (address.Length == 4)
            return ((UInt128)0xFFFF << 32) | BinaryPrimitives.ReadUInt32BigEndian(address);
        throw new ArgumentException($"An address must be 4 (IPv4) or 16 (IPv6) bytes long, not {address.Length}.", parameter);
    }
}
