using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OsqueryBpf.Dns.Tests;

/// <summary>
/// A real dnsmasq on 127.0.0.1 and a free port, with local records of every type the parser decodes and no
/// upstream (names under x.test it does not know get NXDOMAIN). Real server-made messages, with dnsmasq's own
/// compression, EDNS and truncation, for the parser to read.
/// </summary>
internal sealed class DnsmasqServer : IDisposable
{
    /// <summary>An HTTPS record: priority 1, target ".", alpn=h2, port=880, ipv4hint=1.2.3.4, ech=AQID.</summary>
    public const string HttpsRdataHex = "00010000010003026832000300020370000400040102030400050003010203";

    /// <summary>
    /// Priority 16, target svc.x.test, mandatory=alpn,port, alpn=h2,h3,"a,bc", no-default-alpn, port=8443,
    /// ipv6hint=2001:db8::1,::ffff:1.2.3.4, key65000="hi \"x\"" (served as both HTTPS and SVCB).
    /// </summary>
    public const string ServiceRdataHex =
        "001003737663017804746573740000000004000100030001000b02683202683304612c6263000200000003000220fb00060020" +
        "20010db800000000000000000000000100000000000000000000ffff01020304fde80006686920227822";

    /// <summary>Four 200-byte strings: over 512 bytes, so a query without EDNS gets a truncated (TC) reply.</summary>
    public static readonly string LongText = new('L', 200);

    private readonly Process _process;
    private readonly string _pidFile;

    private DnsmasqServer(Process process, int port, string pidFile)
    {
        _process = process;
        Port = port;
        _pidFile = pidFile;
    }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public static DnsmasqServer Start()
    {
        var executable = OsqueryBpf.TestSupport.Requirements.FindTool("dnsmasq")
            ?? throw new InvalidOperationException("dnsmasq is not installed.");
        var failures = new List<string>();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = FreePort();
            var pidFile = Path.Combine(Path.GetTempPath(), $"dns-tests-dnsmasq-{Guid.NewGuid():N}.pid");
            var start = new ProcessStartInfo(executable)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var arg in Arguments(port, pidFile))
                start.ArgumentList.Add(arg);
            var process = Process.Start(start)!;
            process.BeginOutputReadLine();
            var errors = new System.Text.StringBuilder();
            process.ErrorDataReceived += (_, e) => { lock (errors) errors.AppendLine(e.Data); };
            process.BeginErrorReadLine();
            var server = new DnsmasqServer(process, port, pidFile);
            if (server.WaitUntilAnswering(TimeSpan.FromSeconds(15)))
                return server;
            lock (errors)
                failures.Add($"port {port}: {errors}");
            server.Dispose();
        }
        throw new InvalidOperationException("dnsmasq did not start: " + string.Join("; ", failures));
    }

    private static IEnumerable<string> Arguments(int port, string pidFile) =>
    [
        "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
        $"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces", $"--pid-file={pidFile}",
        "--local=/x.test/", "--log-facility=-",
        "--address=/a.x.test/1.2.3.4",
        "--host-record=h.x.test,10.1.2.3,2001:db8::7",
        "--txt-record=t.x.test,v=spf1 -all,second; string,quote\" and \\ backslash",
        $"--txt-record=long.x.test,{LongText},{LongText},{LongText},{LongText}",
        "--mx-host=x.test,mail.x.test,10",
        "--srv-host=_sip._udp.x.test,sip.x.test,5060,1,5",
        "--cname=c.x.test,h.x.test",
        "--caa-record=x.test,0,issue,letsencrypt.org",
        $"--dns-rr=https.x.test,65,{HttpsRdataHex}",
        "--dns-rr=u.x.test,999,deadbeef",
        $"--dns-rr=https2.x.test,65,{ServiceRdataHex}",
        $"--dns-rr=svcb.x.test,64,{ServiceRdataHex}",
        "--ptr-record=3.2.1.10.in-addr.arpa,h.x.test",
    ];

    /// <summary>Sends one query over UDP and returns the reply's bytes.</summary>
    public byte[] QueryUdp(byte[] query, TimeSpan? timeout = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveTimeout = (int)(timeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;
        socket.SendTo(query, EndPoint);
        var buffer = new byte[65535];
        var n = socket.Receive(buffer);
        return buffer[..n];
    }

    private bool WaitUntilAnswering(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var probe = new DnsMessageBuilder(id: 1).Question("a.x.test", 1).Build();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
                return false;
            try
            {
                QueryUdp(probe, TimeSpan.FromMilliseconds(300));
                return true;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        return false;
    }

    private static int FreePort()
    {
        // Ask the kernel for a free UDP port and check that TCP has it free too (dnsmasq binds both).
        for (var i = 0; i < 20; i++)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            try
            {
                using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException("No free port for dnsmasq.");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            File.Delete(_pidFile);
        }
        catch (IOException)
        {
        }
    }
}
