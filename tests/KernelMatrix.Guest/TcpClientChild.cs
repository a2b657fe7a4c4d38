using System.Net;

namespace OsqueryBpf.KernelMatrix.Guest;

/// <summary>
/// The client end of <see cref="TcpWorkload"/>, in its own process: socket, a blocking connect, a write and a
/// close through libc, so the connect's result and the fd are known exactly. Prints "&lt;local port&gt; &lt;fd&gt;".
/// </summary>
internal static class TcpClientChild
{
    public static int Run(string address, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        var fd = Libc.TcpSocket(endPoint.AddressFamily);
        Libc.Connect(fd, endPoint);
        var localPort = Libc.LocalPort(fd);
        Libc.Write(fd, "kmatrix\n");
        Libc.Close(fd);
        Console.Out.WriteLine($"{localPort} {fd}");
        return 0;
    }
}
