using System.Buffers.Binary;
using System.Text;

namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>The few DNS wire-format pieces the client needs: an A query, and the rcode and A records of an answer.</summary>
internal static class DnsWire
{
    /// <summary>A recursive query for the A record of <paramref name="name"/>.</summary>
    public static byte[] Query(ushort id, string name)
    {
        var bytes = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (var label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.AddRange(new byte[] { 0, 0, 1, 0, 1 }); // root, QTYPE A, QCLASS IN
        return bytes.ToArray();
    }

    /// <summary>The response's id, rcode and A-record addresses (answers use compressed names, as dnsmasq sends).</summary>
    public static (ushort Id, int Rcode, List<string> Addresses) Parse(ReadOnlySpan<byte> message)
    {
        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var rcode = message[3] & 0x0F;
        int questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var at = 12;
        for (var i = 0; i < questions; i++)
            at = SkipName(message, at) + 4;
        var addresses = new List<string>();
        for (var i = 0; i < answers; i++)
        {
            at = SkipName(message, at);
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 8)..]);
            at += 10;
            if (type == 1 && length == 4)
                addresses.Add($"{message[at]}.{message[at + 1]}.{message[at + 2]}.{message[at + 3]}");
            at += length;
        }
        return (id, rcode, addresses);
    }

    private static int SkipName(ReadOnlySpan<byte> message, int at)
    {
        while (true)
        {
            var length = message[at];
            if (length == 0)
                return at + 1;
            if ((length & 0xC0) == 0xC0)
                return at + 2;
            at += 1 + length;
        }
    }
}
