using OsqueryBpf.Osquery.Thrift;
using OsqueryBpf.Osquery.Transport;
using Thrift;
using Thrift.Protocol;
using Thrift.Protocol.Entities;
using Thrift.Transport.Client;
using Xunit;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>The scanner must find exactly where real Thrift messages end, however the bytes arrive, and refuse bad ones early.</summary>
public sealed class MessageScannerTests
{
    private static async Task<byte[]> CallMessageAsync(Dictionary<string, string> request, bool strict = true)
    {
        using var memory = new TMemoryBufferTransport(new TConfiguration());
        var protocol = new TBinaryProtocol(memory, strictRead: false, strictWrite: strict);
        await protocol.WriteMessageBeginAsync(new TMessage("call", TMessageType.Call, 0), default);
        await new Extension.InternalStructs.call_args { Registry = "table", Item = "t", Request = request }.WriteAsync(protocol, default);
        await protocol.WriteMessageEndAsync(default);
        return memory.GetBuffer();
    }

    private static async Task<byte[]> RegisterMessageAsync()
    {
        // Nested maps and lists of maps, the deepest shape osquery's IDL has.
        using var memory = new TMemoryBufferTransport(new TConfiguration());
        var protocol = new TBinaryProtocol(memory);
        await protocol.WriteMessageBeginAsync(new TMessage("registerExtension", TMessageType.Call, 0), default);
        await new ExtensionManager.InternalStructs.registerExtension_args
        {
            Info = new InternalExtensionInfo { Name = "x", Version = "1", Sdk_version = "", Min_sdk_version = "" },
            Registry = new()
            {
                ["table"] = new() { ["t"] = [new() { ["id"] = "column", ["name"] = "a", ["type"] = "TEXT", ["op"] = "0" }, new()] },
                ["config"] = new(),
            },
        }.WriteAsync(protocol, default);
        await protocol.WriteMessageEndAsync(default);
        return memory.GetBuffer();
    }

    public static TheoryData<string> Shapes => ["call", "old-header call", "empty request", "registerExtension"];

    private static async Task<byte[]> MessageAsync(string shape) => shape switch
    {
        "call" => await CallMessageAsync(new() { ["action"] = "generate", ["context"] = "{\"constraints\":[]}" }),
        "old-header call" => await CallMessageAsync(new() { ["action"] = "columns" }, strict: false),
        "empty request" => await CallMessageAsync([]),
        _ => await RegisterMessageAsync(),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task FindsTheEndWholeOrByteByByte(string shape)
    {
        var message = await MessageAsync(shape);
        var next = new byte[] { 0x80, 0x01, 0x00, 0x01 }; // the start of a pipelined next request
        var received = message.Concat(next).ToArray();

        var whole = new ThriftMessageScanner(1 << 20, 64);
        Assert.True(whole.TryScan(received, out var length));
        Assert.Equal(message.Length, length);

        var pieces = new ThriftMessageScanner(1 << 20, 64);
        for (var n = 1; n < message.Length; n++)
            Assert.False(pieces.TryScan(received.AsSpan(0, n), out _), $"claimed complete after {n} of {message.Length} bytes");
        Assert.True(pieces.TryScan(received, out length));
        Assert.Equal(message.Length, length);

        pieces.Reset();
        Assert.False(pieces.TryScan(next, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x02, 0x00, 0x01 }, "version")] // a version word that is not Thrift's
    [InlineData(new byte[] { 0x80, 0x01, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff }, "negative")] // name length -1
    [InlineData(new byte[] { 0x80, 0x01, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00 }, "larger than")] // a 1 MiB name
    [InlineData(new byte[] { 0x80, 0x01, 0x00, 0x01, 0, 0, 0, 1, (byte)'p', 0, 0, 0, 0, 99, 0, 1 }, "Unknown Thrift type")]
    [InlineData(new byte[] { 0x80, 0x01, 0x00, 0x01, 0, 0, 0, 1, (byte)'p', 0, 0, 0, 0, 15, 0, 1, 11, 0x7f, 0xff, 0xff, 0xff }, "larger than")]
    [InlineData(new byte[] { 0x80, 0x01, 0x00, 0x01, 0, 0, 0, 1, (byte)'p', 0, 0, 0, 0, 13, 0, 1, 11, 11, 0x80, 0, 0, 0 }, "negative")]
    public void BadMessagesAreRefusedAsSoonAsTheyDeclareIt(byte[] bytes, string reason)
    {
        var scanner = new ThriftMessageScanner(64 * 1024, 64);
        var e = Assert.Throws<TProtocolException>(() => scanner.TryScan(bytes, out _));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void NestingBeyondTheLimitIsRefused()
    {
        var bytes = new List<byte> { 0x80, 0x01, 0x00, 0x01, 0, 0, 0, 1, (byte)'p', 0, 0, 0, 0 };
        for (var i = 0; i < 70; i++)
            bytes.AddRange(new byte[] { 12, 0, 1 }); // a struct field holding a struct holding ...
        var scanner = new ThriftMessageScanner(64 * 1024, 64);
        var e = Assert.Throws<TProtocolException>(() => scanner.TryScan(bytes.ToArray(), out _));
        Assert.Contains("deeper", e.Message);
    }
}
