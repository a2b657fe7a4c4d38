using System.Net;
using Xunit;

namespace OsqueryBpf.Dns.Tests;

public class TransactionTrackerTests
{
    private static readonly byte[] Client = [10, 0, 0, 2];
    private static readonly byte[] Server = [10, 0, 0, 53];

    private static DnsTransactionKey Key(ushort id, ushort clientPort = 40000, DnsTransport protocol = DnsTransport.Udp) =>
        new(id, protocol, Client, clientPort, Server, 53);

    [Fact]
    public void Response_gets_the_time_since_its_query()
    {
        var t = new DnsTransactionTracker();
        Assert.True(t.OnQuery(Key(1), 1_000));
        Assert.Equal(1, t.Pending);
        Assert.Equal(4_500L, t.OnResponse(Key(1), 5_500));
        Assert.Equal(0, t.Pending);
        Assert.Equal(1, t.Matched);
    }

    [Fact]
    public void Every_part_of_the_key_must_match()
    {
        var t = new DnsTransactionTracker();
        t.OnQuery(Key(1), 0);
        Assert.Null(t.OnResponse(Key(2), 10));
        Assert.Null(t.OnResponse(Key(1, clientPort: 40001), 10));
        Assert.Null(t.OnResponse(Key(1, protocol: DnsTransport.Tcp), 10));
        Assert.Null(t.OnResponse(new DnsTransactionKey(1, DnsTransport.Udp, Client, 40000, [10, 0, 0, 54], 53), 10));
        Assert.Equal(4, t.UnmatchedResponses);
        Assert.Equal(10L, t.OnResponse(Key(1), 10));
    }

    [Fact]
    public void Ipv4_and_its_mapped_ipv6_form_are_the_same_end()
    {
        var t = new DnsTransactionTracker();
        t.OnQuery(new DnsTransactionKey(9, DnsTransport.Udp, IPAddress.Parse("127.0.0.1"), 5000, IPAddress.Parse("127.0.0.53"), 53), 100);
        var mapped = new DnsTransactionKey(9, DnsTransport.Udp, IPAddress.Parse("::ffff:127.0.0.1"), 5000,
            IPAddress.Parse("::ffff:127.0.0.53"), 53);
        Assert.Equal(50L, t.OnResponse(mapped, 150));
    }

    [Fact]
    public void Bad_address_length_is_refused_with_a_sentence()
    {
        var e = Assert.Throws<ArgumentException>(() => new DnsTransactionKey(1, DnsTransport.Udp, new byte[5], 1, Server, 53));
        Assert.Contains("4 (IPv4) or 16 (IPv6)", e.Message);
    }

    [Fact]
    public void Duplicate_query_keeps_the_first_time_and_is_counted()
    {
        var t = new DnsTransactionTracker();
        Assert.True(t.OnQuery(Key(1), 100));
        Assert.False(t.OnQuery(Key(1), 5_000)); // retransmission
        Assert.Equal(1, t.DuplicateQueries);
        Assert.Equal(1, t.Pending);
        Assert.Equal(9_900L, t.OnResponse(Key(1), 10_000));
    }

    [Fact]
    public void Second_response_to_one_query_is_unmatched()
    {
        var t = new DnsTransactionTracker();
        t.OnQuery(Key(1), 0);
        Assert.NotNull(t.OnResponse(Key(1), 1));
        Assert.Null(t.OnResponse(Key(1), 2));
        Assert.Equal(1, t.UnmatchedResponses);
    }

    [Fact]
    public void Unanswered_queries_expire_by_age()
    {
        var t = new DnsTransactionTracker(capacity: 100, maxAgeNanoseconds: 1_000);
        t.OnQuery(Key(1), 0);
        t.OnQuery(Key(2), 500);
        t.OnQuery(Key(3), 1_400); // drops 1 (1400 - 0 > 1000), keeps 2
        Assert.Equal(1, t.ExpiredQueries);
        Assert.Null(t.OnResponse(Key(1), 1_450));
        Assert.Equal(1_000L, t.OnResponse(Key(2), 1_500));
        Assert.Equal(1, t.Expire(10_000)); // key 3
        Assert.Equal(0, t.Pending);
        Assert.Equal(2, t.ExpiredQueries);
    }

    [Fact]
    public void Oldest_query_makes_room_at_capacity()
    {
        var t = new DnsTransactionTracker(capacity: 3);
        for (ushort id = 1; id <= 5; id++)
            t.OnQuery(Key(id), id);
        Assert.Equal(3, t.Pending);
        Assert.Equal(2, t.EvictedQueries);
        Assert.Null(t.OnResponse(Key(1), 10));
        Assert.Null(t.OnResponse(Key(2), 10));
        Assert.Equal(7L, t.OnResponse(Key(3), 10));
        Assert.Equal(6L, t.OnResponse(Key(4), 10));
        Assert.Equal(5L, t.OnResponse(Key(5), 10));
    }

    [Fact]
    public void Slots_are_reused_across_many_transactions()
    {
        var t = new DnsTransactionTracker(capacity: 8);
        var rng = new Random(5);
        for (var i = 0; i < 100_000; i++)
        {
            var id = (ushort)rng.Next(16);
            if (rng.Next(2) == 0)
            {
                t.OnQuery(Key(id), i);
            }
            else
            {
                t.OnResponse(Key(id), i);
            }
            Assert.InRange(t.Pending, 0, 8);
        }
        // Every recorded query is accounted for exactly once.
        Assert.Equal(t.Queries, t.Matched + t.EvictedQueries + t.ExpiredQueries + t.Pending);
        Assert.True(t.EvictedQueries > 0 && t.Matched > 0 && t.DuplicateQueries > 0 && t.UnmatchedResponses > 0);
    }

    [Fact]
    public void Response_before_its_query_in_time_gets_no_latency()
    {
        var t = new DnsTransactionTracker();
        t.OnQuery(Key(1), 1_000);
        Assert.Null(t.OnResponse(Key(1), 900));
        Assert.Equal(1, t.NegativeLatencies);
        Assert.Equal(0, t.Pending);
    }
}
