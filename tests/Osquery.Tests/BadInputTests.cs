using System.Buffers.Binary;
using System.Text;
using Xunit;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>
/// Bad bytes on the extension socket: each gets an error reply or a closed connection, never a crash or a
/// hang, and the server keeps serving.
/// </summary>
public sealed class BadInputTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static byte[] Header(string method)
    {
        var name = Encoding.UTF8.GetBytes(method);
        var bytes = new byte[4 + 4 + name.Length + 4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x80010001);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), name.Length);
        name.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public async Task UnknownMethodGetsAnApplicationException()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var request = Header("streamEvents").Concat(new byte[] { 0 }).ToArray();
        var result = h.Caller.SendRaw(request, Wait, stopAfterBytes: 40);
        Assert.True(result.Received.Length > 12);
        Assert.Equal(0x80010003u, BinaryPrimitives.ReadUInt32BigEndian(result.Received)); // EXCEPTION
        Assert.Contains("streamEvents", Encoding.UTF8.GetString(result.Received));
        Assert.Equal(0, h.Caller.Ping().Code);
    }

    [Fact]
    public async Task TruncatedFrameClosesTheConnectionAndServingContinues()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var full = Header("call");
        var result = h.Caller.SendRaw(full.AsSpan(0, full.Length - 2), Wait, closeSendSide: true);
        Assert.True(result.ClosedByPeer);
        Assert.Empty(result.Received);
        Assert.Equal(0, h.Caller.Ping().Code);
    }

    [Fact]
    public async Task GarbageClosesTheConnectionAndServingContinues()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var random = new Random(42);
        for (var i = 0; i < 20; i++)
        {
            var garbage = new byte[random.Next(1, 300)];
            random.NextBytes(garbage);
            garbage[0] = 0x80; // a version word that is not Thrift's
            var result = h.Caller.SendRaw(garbage, Wait, closeSendSide: true);
            Assert.True(result.ClosedByPeer);
        }
        Assert.Equal(0, h.Caller.Ping().Code);
        Assert.Equal(0, h.Caller.Generate("synthetic_table", "{}").Status.Code);
    }

    [Fact]
    public async Task FramesDeclaringTwoGigabyteStringsAreRefusedWithoutAllocating()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        // call_args field 1 (string registry) declaring 0x7fffffff bytes; the sender keeps the connection open.
        var frame = Header("call").Concat(new byte[] { 11, 0, 1, 0x7f, 0xff, 0xff, 0xff, (byte)'t' }).ToArray();
        // And a message name declaring 2 GiB in the old, unversioned header form.
        var legacy = new byte[] { 0x7f, 0xff, 0xff, 0xff, (byte)'p' };
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(h.Caller.SendRaw(frame, Wait).ClosedByPeer);
            Assert.True(h.Caller.SendRaw(legacy, Wait).ClosedByPeer);
        }
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 256L * 1024 * 1024, $"allocated {allocated} bytes for 20 refused frames");
        Assert.Equal(0, h.Caller.Ping().Code);
    }

    [Fact]
    public async Task HugeElementCountsAreRefused()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        // call_args field 3 (map<string,string>) declaring 2^31-1 entries.
        var frame = Header("call").Concat(new byte[] { 13, 0, 3, 11, 11, 0x7f, 0xff, 0xff, 0xff }).ToArray();
        Assert.True(h.Caller.SendRaw(frame, Wait).ClosedByPeer);
        Assert.Equal(0, h.Caller.Ping().Code);
    }

    [Fact]
    public async Task IdleAndHalfSentConnectionsAreClosedAfterTheReadTimeout()
    {
        await using var h = await ServerHarness.StartRegisteredAsync(readTimeout: TimeSpan.FromSeconds(1));
        Assert.True(h.Caller.SendRaw([], Wait).ClosedByPeer);
        var half = Header("ping");
        Assert.True(h.Caller.SendRaw(half.AsSpan(0, 6), Wait).ClosedByPeer);
        Assert.Equal(0, h.Caller.Ping().Code);
    }

    [Fact]
    public async Task OldStyleUnversionedRequestsAreAccepted()
    {
        // osqueryd reads lax; so do we: a request without the version word still works.
        await using var h = await ServerHarness.StartRegisteredAsync();
        var request = new List<byte>();
        request.AddRange(new byte[] { 0, 0, 0, 4 });
        request.AddRange("ping"u8.ToArray());
        request.Add(1); // CALL
        request.AddRange(new byte[] { 0, 0, 0, 0, 0 });
        var result = h.Caller.SendRaw(request.ToArray(), Wait, stopAfterBytes: 12);
        Assert.True(result.Received.Length > 0);
        Assert.Equal(0x80010002u, BinaryPrimitives.ReadUInt32BigEndian(result.Received)); // strict REPLY
    }

    [Fact]
    public async Task AFloodOfIdleConnectionsIsCappedAndServingResumes()
    {
        await using var h = await ServerHarness.StartRegisteredAsync();
        var sockets = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 256 + 40; i++)
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(h.Server.ExtensionSocketPath!));
                sockets.Add(socket);
            }
            // The connections over the cap are closed by the server: readable with nothing to read means end-of-stream.
            Assert.True(await ServerHarness.EventuallyAsync(() =>
                sockets.Count(c => c.Poll(0, System.Net.Sockets.SelectMode.SelectRead) && c.Available == 0) >= 40));
        }
        finally
        {
            foreach (var socket in sockets)
                socket.Dispose();
        }
        Assert.True(await ServerHarness.EventuallyAsync(() =>
        {
            try { return h.Caller.Ping().Code == 0; }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException) { return false; }
        }));
    }
}
