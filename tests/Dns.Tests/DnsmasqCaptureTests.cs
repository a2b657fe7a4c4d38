using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OsqueryBpf.TestSupport;
using Xunit;
using Xunit.Abstractions;
using T = OsqueryBpf.Dns.DnsNames.Types;

namespace OsqueryBpf.Dns.Tests;

/// <summary>Starts one dnsmasq for the tests of <see cref="DnsmasqCaptureTests"/>, when it is installed.</summary>
public sealed class DnsmasqFixture : IDisposable
{
    private readonly Lazy<DnsmasqServer> _server = new(DnsmasqServer.Start);

    internal DnsmasqServer Server => _server.Value;

    public void Dispose()
    {
        if (_server.IsValueCreated)
            _server.Value.Dispose();
    }
}

/// <summary>
/// Messages made by real programs: dnsmasq's responses (with its name compression and EDNS) to our queries
/// over UDP and TCP, and dig's own queries and the responses it printed, captured by a relay in the test.
/// </summary>
public class DnsmasqCaptureTests(DnsmasqFixture fixture, ITestOutputHelper output) : IClassFixture<DnsmasqFixture>
{
    private DnsmasqServer Server
    {
        get
        {
            Requirements.RequireTool("dnsmasq");
            return fixture.Server;
        }
    }

    private bool LastReplyWasCompressed { get; set; }

    private DnsMessage Ask(string name, ushort type, bool edns = true)
    {
        var id = (ushort)Random.Shared.Next(1, 65536);
        var query = new DnsMessageBuilder(id: id, flags: 0x0100).Question(name, type);
        if (edns)
            query.Opt(1232);
        var reply = Server.QueryUdp(query.Build());
        var result = DnsMessage.Parse(reply);
        LastReplyWasCompressed = reply.AsSpan(12).IndexOf([(byte)0xC0, (byte)0x0C]) >= 0;
        Assert.True(result.IsComplete, result.Reason);
        var m = result.Message!;
        Assert.True(m.IsResponse);
        Assert.Equal(id, m.Id);
        Assert.Equal(name + ".", m.Questions[0].Name);
        return m;
    }

    [SkippableTheory]
    [InlineData("a.x.test", T.A, "A 1.2.3.4")]
    [InlineData("h.x.test", T.AAAA, "AAAA 2001:db8::7")]
    [InlineData("x.test", T.MX, "MX 10 mail.x.test.")]
    [InlineData("_sip._udp.x.test", T.SRV, "SRV 1 5 5060 sip.x.test.")]
    [InlineData("c.x.test", T.A, "CNAME h.x.test.; A 10.1.2.3")]
    [InlineData("x.test", T.CAA, "CAA 0 issue \"letsencrypt.org\"")]
    [InlineData("https.x.test", T.HTTPS, "HTTPS 1 . alpn=\"h2\" port=880 ipv4hint=1.2.3.4 ech=AQID")]
    [InlineData("u.x.test", 999, "TYPE999 \\# 4 deadbeef")]
    [InlineData("3.2.1.10.in-addr.arpa", T.PTR, "PTR h.x.test.")]
    [InlineData("t.x.test", T.TXT, "TXT \"v=spf1 -all\" \"second\\059 string\" \"quote\\\" and \\\\ backslash\"")]
    public void Dnsmasq_answers_read_as_expected(string name, ushort type, string answers)
    {
        var m = Ask(name, type);
        Assert.Equal(answers, DnsFormat.Answers(m));
        Assert.Equal(0, m.Rcode);
        Assert.True(m.AuthoritativeAnswer);
        Assert.Equal(1232, m.Edns!.Value.UdpPayloadSize);
        // dnsmasq writes the first answer's owner as a pointer to the question (c0 0c): decompression was exercised.
        Assert.True(LastReplyWasCompressed);
        Assert.Equal(m.Questions[0].Name, m.Answers[0].Name);
    }

    [SkippableFact]
    public void Unknown_name_is_nxdomain_with_status_3()
    {
        var m = Ask("missing.x.test", T.A);
        Assert.Equal(3, m.Rcode);
        var fields = DnsEventFields.From(DnsMessage.Parse(Server.QueryUdp(
            new DnsMessageBuilder(id: 77).Question("missing.x.test", T.A).Build())));
        Assert.Equal(3, fields.Status);
        Assert.Equal("response", fields.Kind);
        Assert.Equal("", fields.Answers);
    }

    [SkippableFact]
    public void Oversized_answer_without_edns_comes_back_truncated_with_tc()
    {
        var m = Ask("long.x.test", T.TXT, edns: false);
        Assert.True(m.Truncated);
        Assert.True(DnsEventFields.From(DnsMessage.Parse(Server.QueryUdp(
            new DnsMessageBuilder(id: 5).Question("long.x.test", T.TXT).Build()))).Truncated);

        var full = Ask("long.x.test", T.TXT, edns: true);
        Assert.False(full.Truncated);
        Assert.Equal(4, Assert.Single(full.Answers).Data.Split(' ').Length);
    }

    [SkippableFact]
    public void Tcp_stream_with_two_queries_in_one_write_gives_two_framed_responses()
    {
        var server = Server;
        byte[] Framed(byte[] m) => [(byte)(m.Length >> 8), (byte)m.Length, .. m];
        var q1 = new DnsMessageBuilder(id: 101).Question("h.x.test", T.A).Build();
        var q2 = new DnsMessageBuilder(id: 102).Question("t.x.test", T.TXT).Build();

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.ReceiveTimeout = 10_000;
        socket.Connect(server.EndPoint);
        socket.Send([.. Framed(q1), .. Framed(q2)]);

        // Read in small pieces so messages straddle reads, carrying the remainder as a capture would.
        var pending = new List<byte>();
        var ids = new List<int>();
        var chunk = new byte[7];
        while (ids.Count < 2)
        {
            var n = socket.Receive(chunk);
            Assert.True(n > 0, "dnsmasq closed the TCP connection early.");
            pending.AddRange(chunk.AsSpan(0, n));
            var frames = DnsTcpFraming.Split(pending.ToArray());
            while (frames.MoveNext(out var message))
            {
                var r = DnsMessage.Parse(message);
                Assert.True(r.IsComplete, r.Reason);
                ids.Add(r.Message!.Id);
            }
            pending = [.. frames.Remainder];
        }
        Assert.Equal([101, 102], ids);
        Assert.Empty(pending);
    }

    [SkippableFact]
    public void Real_exchange_gives_a_positive_latency_through_the_tracker()
    {
        var server = Server;
        var tracker = new DnsTransactionTracker();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveTimeout = 10_000;
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var local = (IPEndPoint)socket.LocalEndPoint!;
        var query = new DnsMessageBuilder(id: 4321).Question("a.x.test", T.A).Build();

        var sent = Stopwatch.GetTimestamp();
        socket.SendTo(query, server.EndPoint);
        var q = DnsMessage.Parse(query).Message!;
        tracker.OnQuery(new DnsTransactionKey(q.Id, DnsTransport.Udp, local.Address, (ushort)local.Port,
            server.EndPoint.Address, (ushort)server.Port), Nanoseconds(sent));

        var buffer = new byte[4096];
        var n = socket.Receive(buffer);
        var received = Stopwatch.GetTimestamp();
        var r = DnsMessage.Parse(buffer.AsSpan(0, n)).Message!;
        var latency = tracker.OnResponse(new DnsTransactionKey(r.Id, DnsTransport.Udp, local.Address, (ushort)local.Port,
            server.EndPoint.Address, (ushort)server.Port), Nanoseconds(received));
        Assert.NotNull(latency);
        Assert.True(latency > 0);
        Assert.Equal(1, tracker.Matched);
    }

    [SkippableTheory]
    [InlineData("t.x.test", "TXT")]
    [InlineData("https.x.test", "HTTPS")]
    [InlineData("https2.x.test", "HTTPS")]
    [InlineData("svcb.x.test", "SVCB")]
    [InlineData("c.x.test", "A")]
    [InlineData("x.test", "CAA")]
    [InlineData("u.x.test", "TYPE999")]
    [InlineData("h.x.test", "AAAA")]
    [InlineData("_sip._udp.x.test", "SRV")]
    public void Dig_query_and_reply_parse_and_match_what_dig_printed(string name, string type)
    {
        Requirements.RequireTool("dig");
        var server = Server;
        using var relay = new UdpRelay(server.EndPoint);
        var dig = RunDig(relay.Port, name, type);

        // dig's own query: real client bytes with its EDNS options (a cookie).
        var query = DnsMessage.Parse(relay.Queries.First());
        Assert.True(query.IsComplete, query.Reason);
        Assert.False(query.Message!.IsResponse);
        Assert.Equal(name + ".", query.Message.Questions[0].Name);
        Assert.Equal(type, query.Message.Questions[0].TypeName);
        Assert.NotNull(query.Message.Edns);
        output.WriteLine("dig query OPT: " + query.Message.Additionals.Single(a => a.Type == T.OPT).Data);

        var reply = DnsMessage.Parse(relay.Replies.First());
        Assert.True(reply.IsComplete, reply.Reason);
        Assert.Equal(query.Message.Id, reply.Message!.Id);

        // dig's answer lines are "name<TAB>ttl<TAB>class<TAB>type<TAB>data".
        var lines = dig.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(reply.Message.Answers.Count, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            var fields = lines[i].Split('\t', StringSplitOptions.RemoveEmptyEntries);
            var record = reply.Message.Answers[i];
            Assert.Equal(fields[0], record.Name);
            Assert.Equal(fields[3], record.TypeName);
            // Known, documented differences: ";" inside strings is \059 here, and generic hex is lowercase.
            var ours = record.Data.Replace(@"\059", ";");
            Assert.Equal(string.Join(' ', fields[4..]), ours, ignoreCase: ours.StartsWith(@"\#", StringComparison.Ordinal));
        }
    }

    private static string RunDig(int port, string name, string type)
    {
        var start = new ProcessStartInfo(Requirements.FindTool("dig")!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "@127.0.0.1", "-p", port.ToString(), name, type, "+tries=1", "+time=10", "+noall", "+answer" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new TimeoutException("dig did not finish within 30 s.");
        }
        Assert.Equal(0, process.ExitCode);
        return stdout.Result;
    }

    private static long Nanoseconds(long stopwatchTicks) =>
        (long)(stopwatchTicks * (1_000_000_000.0 / Stopwatch.Frequency));

    /// <summary>Forwards UDP datagrams between a client (dig) and the server, keeping copies of both directions.</summary>
    private sealed class UdpRelay : IDisposable
    {
        private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly IPEndPoint _server;

        public UdpRelay(IPEndPoint server)
        {
            _server = server;
            _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _loop = Task.Run(LoopAsync);
        }

        public int Port => ((IPEndPoint)_front.LocalEndPoint!).Port;

        public System.Collections.Concurrent.ConcurrentQueue<byte[]> Queries { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<byte[]> Replies { get; } = new();

        private async Task LoopAsync()
        {
            var buffer = new byte[65535];
            var reply = new byte[65535];
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var got = await _front.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                    var query = buffer[..got.ReceivedBytes];
                    Queries.Enqueue(query);
                    using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    await upstream.SendToAsync(query, _server, _stop.Token);
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    timeout.CancelAfter(TimeSpan.FromSeconds(10));
                    var n = await upstream.ReceiveAsync(reply, SocketFlags.None, timeout.Token);
                    Replies.Enqueue(reply[..n]);
                    await _front.SendToAsync(reply.AsMemory(0, n), got.RemoteEndPoint, _stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(10));
            }
            catch (AggregateException)
            {
            }
            _front.Dispose();
            _stop.Dispose();
        }
    }
}
