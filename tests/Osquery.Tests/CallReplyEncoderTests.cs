using OsqueryBpf.Osquery.Server;
using OsqueryBpf.Osquery.Thrift;
using Thrift;
using Thrift.Protocol;
using Thrift.Protocol.Entities;
using Thrift.Transport.Client;
using Xunit;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>The one-pass call reply encoder must produce exactly the generated Thrift writer's bytes.</summary>
public sealed class CallReplyEncoderTests
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

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(7, 500)]
    public async Task EncoderMatchesTheGeneratedWriter(int seqId, int rowCount)
    {
        var rows = Enumerable.Range(0, rowCount).Select(i => new Dictionary<string, string>
        {
            ["name"] = $"process {i} \u00e9\u4e2d",   // non-ASCII text: byte length differs from char count
            ["pid"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["empty"] = "",
        }).ToList();
        var response = new ExtensionResponse
        {
            Status = new ExtensionStatus { Code = rowCount == 0 ? 1 : 0, Message = rowCount == 0 ? "nothing" : "OK", Uuid = 12345 },
            Response = rows,
        };
        using var encoder = new CallReplyEncoder(initialCapacity: 16); // forces the buffer to grow
        encoder.Encode(seqId, response);
        Assert.Equal(await GeneratedBytesAsync(seqId, response), encoder.Buffer.AsSpan(0, encoder.Length).ToArray());
    }
}
