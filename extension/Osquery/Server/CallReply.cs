using System.Buffers.Binary;
using System.Text;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Osquery.Thrift;
using Thrift.Transport;

namespace OsqueryBpf.Osquery.Server;

/// <summary>
/// The reply to <c>call</c> (an ExtensionResponse) as bytes: a small head (message header, status, list header)
/// written here, then the rows exactly as <see cref="TableRows"/> encoded them, then the two closing STOP bytes.
/// The same bytes as the generated Thrift writer with strict write, without awaiting once per string or copying
/// the rows again.
/// </summary>
internal static class CallReply
{
    /// <summary>Room the head takes besides the status message: what a reply may hold beyond its rows.</summary>
    public const int HeadBytes = 64;

    /// <summary>Status messages are cut to this many bytes (osqueryd shows them as the query's error).</summary>
    public const int MaxMessageBytes = 4096;

    /// <summary>Encodes the head: REPLY header, call_result field 0 { status field 1, response field 2 list header }.</summary>
    public static byte[] Head(int seqId, ExtensionStatus status, int rowCount)
    {
        var message = Encoding.UTF8.GetBytes(status.Message ?? "");
        if (message.Length > MaxMessageBytes)
            message = message[..MaxMessageBytes]; // may split a character; osqueryd decodes leniently
        var head = new byte[HeadBytes + message.Length];
        var span = head.AsSpan();
        var at = 0;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], unchecked((int)0x80010002)); // strict version word | REPLY
        at += 4;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 4);
        "call"u8.CopyTo(span[(at + 4)..]);
        at += 8;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], seqId);
        at += 4;
        at = FieldBegin(span, at, 12, 0); // call_result.success : ExtensionResponse
        at = FieldBegin(span, at, 12, 1); // ExtensionResponse.status : ExtensionStatus
        at = FieldBegin(span, at, 8, 1);
        BinaryPrimitives.WriteInt32BigEndian(span[at..], status.Code);
        at += 4;
        at = FieldBegin(span, at, 11, 2);
        BinaryPrimitives.WriteInt32BigEndian(span[at..], message.Length);
        message.CopyTo(span[(at + 4)..]);
        at += 4 + message.Length;
        at = FieldBegin(span, at, 10, 3);
        BinaryPrimitives.WriteInt64BigEndian(span[at..], status.Uuid);
        at += 8;
        span[at++] = 0; // end of ExtensionStatus
        at = FieldBegin(span, at, 15, 2); // ExtensionResponse.response : list<map<string,string>>
        span[at++] = 13;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], rowCount);
        at += 4;
        return head[..at];
    }

    /// <summary>Closes ExtensionResponse and call_result.</summary>
    private static readonly byte[] Tail = [0, 0];

    /// <summary>Writes the whole reply and flushes it.</summary>
    public static async Task WriteAsync(TTransport output, int seqId, ExtensionStatus status, TableRows rows, CancellationToken cancellationToken)
    {
        var head = Head(seqId, status, rows.Count);
        await output.WriteAsync(head, 0, head.Length, cancellationToken).ConfigureAwait(false);
        foreach (var segment in rows.Encoded())
            await output.WriteAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(Tail, 0, Tail.Length, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static int FieldBegin(Span<byte> span, int at, byte type, short id)
    {
        span[at] = type;
        BinaryPrimitives.WriteInt16BigEndian(span[(at + 1)..], id);
        return at + 3;
    }
}
