using OsqueryBpf.KernelMatrix.Guest;
using Xunit;

namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>The guest's judging of rows: what holds, and what a failure says it saw.</summary>
public sealed class GuestCheckTests
{
    private static Check RenameCheck() => new()
    {
        Name = "file.rename",
        Probe = "file",
        Table = "ebpf_file_events",
        What = "the rename of /tmp/a by pid 7",
        Where = new Dictionary<string, string> { ["pid"] = "7" },
        Selects = r => r.GetValueOrDefault("action") == "rename" && r.GetValueOrDefault("path") == "/tmp/a",
        Expect = [Expectation.Equal("dest_path", "/tmp/b"), Expectation.Equal("exit_code", 0)],
    };

    private static Dictionary<string, string> Row(string action, string path, string dest = "", string exit = "0") =>
        new() { ["action"] = action, ["path"] = path, ["dest_path"] = dest, ["exit_code"] = exit };

    [Fact]
    public void Holds_when_a_selected_row_has_every_expected_value()
    {
        var result = RenameCheck().Judge([Row("create", "/tmp/a"), Row("rename", "/tmp/a", "/tmp/b")]);
        Assert.True(result.Holds, result.Detail);
    }

    [Fact]
    public void A_wrong_value_is_named_with_what_was_expected_and_seen()
    {
        var result = RenameCheck().Judge([Row("rename", "/tmp/a", "/tmp/elsewhere"), Row("rename", "/tmp/a", "", "-2")]);
        Assert.False(result.Holds);
        // The row closest to the expectation is the one described.
        Assert.Equal("the rename of /tmp/a by pid 7: dest_path: expected '/tmp/b', saw '/tmp/elsewhere'", result.Detail);
    }

    [Fact]
    public void No_selected_row_lists_the_rows_that_were_there()
    {
        var result = RenameCheck().Judge([Row("create", "/tmp/a"), Row("unlink", "/tmp/b")]);
        Assert.False(result.Holds);
        Assert.Equal("no row for the rename of /tmp/a by pid 7 (2 rows for pid=7: action=create path=/tmp/a; action=unlink path=/tmp/b)", result.Detail);
        Assert.Equal("no row for the rename of /tmp/a by pid 7 (no rows at all for pid=7)", RenameCheck().Judge([]).Detail);
    }

    [Fact]
    public void A_missing_column_is_reported_as_such()
    {
        var result = RenameCheck().Judge([new Dictionary<string, string> { ["action"] = "rename", ["path"] = "/tmp/a", ["exit_code"] = "0" }]);
        Assert.Equal("the rename of /tmp/a by pid 7: dest_path: expected '/tmp/b', saw no such column", result.Detail);
    }

    [Fact]
    public void Dns_queries_round_trip_through_the_wire_format()
    {
        var query = DnsWire.Query(0x1234, "udp-1.kmatrix.test");
        // A response as dnsmasq builds it: the question, then an answer whose name points back at it.
        byte[] answer = [.. query[..2], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, .. query[12..], 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 1, 2, 3];
        var (id, rcode, addresses) = DnsWire.Parse(answer);
        Assert.Equal(0x1234, id);
        Assert.Equal(0, rcode);
        Assert.Equal(["10.1.2.3"], addresses);
    }
}
