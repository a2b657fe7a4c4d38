using Xunit;

namespace OsqueryBpf.Tls.Tests;

/// <summary>Pairing each ClientHello with its connection's ServerHello, within a bounded wait and size.</summary>
public class JoinerTests
{
    private static readonly TlsHelloResult Client = TlsHello.Parse(SampleHellos.Browser().ClientHelloRecord());
    private static readonly TlsHelloResult Server = TlsHello.Parse(SampleHellos.ServerHello13());
    private const long Second = 1_000_000_000;

    private static TlsFlow Flow(int i) => TlsFlow.Create([10, 0, 0, 1], (ushort)(40000 + i), [10, 0, 0, 2], 443);

    [Fact]
    public void A_server_hello_completes_its_connections_client_hello()
    {
        var rows = new List<TlsHandshake<int>>();
        var joiner = new TlsHandshakeJoiner<int>(rows.Add);
        joiner.OnClientHello(Flow(1), 101, Client, TlsCaptureOutcome.Complete, 0);
        joiner.OnClientHello(Flow(2), 102, Client, TlsCaptureOutcome.Complete, 1);
        joiner.OnServerHello(Flow(2).Reverse(), Server, 2);
        var row = Assert.Single(rows);
        Assert.Equal(102, row.Context);
        Assert.Equal(Flow(2), row.Flow);
        Assert.Same(Server, row.Server);
        Assert.Equal("TLS 1.3", TlsEventFields.From(row.Client, row.Server, row.ClientOutcome).Version);

        joiner.OnServerHello(Flow(3).Reverse(), Server, 3); // nobody waits for it
        Assert.Equal(1, joiner.UnmatchedServerHellos);
        joiner.Expire(2 * Second);
        Assert.Equal(2, rows.Count);
        Assert.Equal(101, rows[1].Context);
        Assert.Null(rows[1].Server);
        Assert.Equal((1, 1, 0), (joiner.Joined, joiner.Alone, joiner.Evicted));
        Assert.Equal(0, joiner.Waiting);
    }

    [Fact]
    public void Full_or_repeated_client_hellos_are_emitted_alone_and_counted()
    {
        var rows = new List<TlsHandshake<int>>();
        var joiner = new TlsHandshakeJoiner<int>(rows.Add, capacity: 2);
        joiner.OnClientHello(Flow(1), 1, Client, TlsCaptureOutcome.Complete, 0);
        joiner.OnClientHello(Flow(2), 2, Client, TlsCaptureOutcome.Complete, 1);
        joiner.OnServerHello(Flow(1).Reverse(), Server, 2);           // 1 joined: its queue entry is now stale
        joiner.OnClientHello(Flow(3), 3, Client, TlsCaptureOutcome.TimedOut, 3);
        Assert.Single(rows);                                          // room for 3 without evicting
        joiner.OnClientHello(Flow(4), 4, Client, TlsCaptureOutcome.Complete, 4);
        Assert.Equal(2, rows[1].Context);                             // the oldest waiting, not the stale entry
        Assert.Equal(1, joiner.Evicted);
        joiner.OnClientHello(Flow(3), 33, Client, TlsCaptureOutcome.Complete, 5); // the same ports again
        Assert.Equal(3, rows[2].Context);
        Assert.Equal(TlsCaptureOutcome.TimedOut, rows[2].ClientOutcome);
        joiner.Flush();
        Assert.Equal([1, 2, 3, 4, 33], rows.Select(r => r.Context).Order());
        Assert.Equal(5, joiner.Joined + joiner.Alone + joiner.Evicted);
    }
}
