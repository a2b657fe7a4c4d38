using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// The DNS client of <see cref="DnsWorkload"/>, in its own process: one A query over UDP or TCP (two-byte
/// length prefix) to the server's port 53, waiting for the answer. Prints "&lt;rcode&gt; &lt;addresses&gt;".
/// </summary>
internal static class DnsClientChild
{
    public static int Run(string protocol, string server, string name, ushort id)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(server), 53);
        var query = DnsWire.Query(id, name);
        byte[] answer;
        if (protocol == "udp")
        {
            using var udp = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
            udp.SendTo(query, endPoint);
            var buffer = new byte[4096];
            answer = buffer.AsSpan(0, udp.Receive(buffer)).ToArray();
        }
        else if (protocol == "tcp")
        {
            using var tcp = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
            tcp.Connect(endPoint);
            var framed = new byte[query.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
            query.CopyTo(framed, 2);
            tcp.Send(framed);
            var length = BinaryPrimitives.ReadUInt16BigEndian(ReceiveExactly(tcp, 2));
            answer = ReceiveExactly(tcp, length);
        }
        else
        {
            throw new ArgumentException($"Unknown protocol '{protocol}' (udp or tcp).");
        }
        var (answerId, rcode, addresses) = DnsWire.Parse(answer);
        if (answerId != id)
            throw new InvalidOperationException($"The answer has id {answerId}, the query {id}.");
        Console.Out.WriteLine($"{rcode} {string.Join(",", addresses)}");
        return 0;
    }

    private static byte[] ReceiveExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        var have = 0;
        while (have < count)
        {
            var n = socket.Receive(buffer, have, count - have, SocketFlags.None);
            if (n == 0)
                throw new IOException("The server closed the connection early.");
            have += n;
        }
        return buffer;
    }
}
