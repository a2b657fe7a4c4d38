using OsqueryBpf.Osquery.Server;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Osquery.Thrift;
using Thrift;
using Thrift.Protocol;
using Thrift.Protocol.Entities;
using Thrift.Transport.Client;
using Xunit;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>Rows encoded by <see cref="TableRows"/> and the reply around them must be exactly the generated Thrift writer's bytes.</summary>
public sealed class CallReplyTests
{
    private static async Task<byte[]> GeneratedBytesAsync(int seqId, ExtensionResponse response)
    {
        using var memory = new TMemoryBufferTransport(new TConfiguration());
        var protocol = new TBinaryProtocol(memory);
        await protocol.WriteMessageBeginAsync(new TMessage("call", TMessageType.Reply, seqId), default);
        await new Extension.InternalStructs.call_result { Success = response }.WriteAsync(protocol, default);
        await protocol.WriteMessageEndAsync(default);
        return memory.GetBuffer();
    }

    private static async Task<byte[]> OurBytesAsync(int seqId, ExtensionStatus status, TableRows rows)
    {
        using var memory = new TMemoryBufferTransport(new TConfiguration());
        await CallReply.WriteAsync(memory, seqId, status, rows, default);
        return memory.GetBuffer();
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(7, 500)]
    [InlineData(3, 20_000)] // several 256 KiB segments
    public async Task ReplyMatchesTheGeneratedWriter(int seqId, int rowCount)
    {
        var rows = Enumerable.Range(0, rowCount).Select(i => new Dictionary<string, string>
        {
            ["name"] = $"process {i} \u00e9\u4e2d",   // non-ASCII text: byte length differs from char count
            ["pid"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["empty"] = "",
            ["long"] = new string('x', i % 300),
        }).ToList();
        var status = new ExtensionStatus { Code = rowCount == 0 ? 1 : 0, Message = rowCount == 0 ? "nothing" : "OK", Uuid = 12345 };
        var table = new TableRows();
        foreach (var row in rows)
            Assert.True(table.Add(row));
        Assert.Equal(rowCount, table.Count);
        var expected = await GeneratedBytesAsync(seqId, new ExtensionResponse { Status = status, Response = rows });
        Assert.Equal(expected, await OurBytesAsync(seqId, status, table));
        Assert.Equal(rows, table.ToDictionaries());
    }

    [Fact]
    public async Task SpanAndIntegerValuesEncodeLikeStrings()
    {
        var table = new TableRows();
        table.BeginRow();
        table.Add("pid"u8, 42L);
        table.Add("neg"u8, -7L);
        table.Add("min"u8, long.MinValue);
        table.Add("path"u8, "/bin/\u00e9"u8);
        table.Add("none"u8, ReadOnlySpan<byte>.Empty);
        Assert.True(table.EndRow());
        var expected = new Dictionary<string, string>
        {
            ["pid"] = "42", ["neg"] = "-7", ["min"] = long.MinValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["path"] = "/bin/\u00e9", ["none"] = "",
        };
        var status = new ExtensionStatus { Code = 0, Message = "OK", Uuid = 0 }; // set, so the generated writer writes it too
        Assert.Equal(await GeneratedBytesAsync(0, new ExtensionResponse { Status = status, Response = [expected] }),
            await OurBytesAsync(0, status, table));
    }

    [Fact]
    public void ARowThatDoesNotFitIsRemovedAndCounted()
    {
        var table = new TableRows(maxBytes: 1000);
        var row = new Dictionary<string, string> { ["path"] = new string('p', 100) };
        var accepted = 0;
        while (table.Add(row))
            accepted++;
        Assert.Equal(accepted, table.Count);
        Assert.True(table.Bytes <= 1000, $"{table.Bytes} bytes kept");
        Assert.Equal(1, table.Refused);
        Assert.Equal(accepted, table.ToDictionaries().Count);
        // A smaller row still fits after a refused one.
        Assert.True(table.Add(new Dictionary<string, string> { ["p"] = "" }));
        Assert.Equal(accepted + 1, table.Count);
    }

    [Fact]
    public void LongStatusMessagesAreCut()
    {
        var head = CallReply.Head(0, new ExtensionStatus { Code = 1, Message = new string('m', 100_000) }, 0);
        Assert.True(head.Length <= CallReply.HeadBytes + CallReply.MaxMessageBytes);
    }
}
