using System.Net.Sockets;
using OsqueryBpf.Osquery.Transport;
using Thrift.Protocol;

namespace OsqueryBpf.Osquery.Server;

/// <summary>
/// Reads whole requests from one connection into a buffer that grows only as bytes really arrive (never for a
/// size a peer merely declares), charging every byte beyond a small base buffer to the listener's shared budget.
/// <see cref="ThriftMessageScanner"/> says where each message ends, so Thrift decodes a complete message from
/// memory and the caller can give the whole request one deadline.
/// </summary>
internal sealed class RequestReader
{
    /// <summary>Every connection has this much buffer of its own; osqueryd's requests nearly always fit in it.</summary>
    public const int BaseBufferBytes = 4 * 1024;

    private readonly Socket _socket;
    private readonly ThriftMessageScanner _scanner;
    private readonly int _maxMessageBytes;
    private readonly Func<int, bool> _tryCharge; // asks the listener for more budget; false when there is none
    private readonly Action<int> _release;
    private byte[] _buffer = new byte[BaseBufferBytes];
    private int _filled;
    private int _messageLength;

    public RequestReader(Socket socket, int maxMessageBytes, int maxDepth, Func<int, bool> tryCharge, Action<int> release)
    {
        _socket = socket;
        _maxMessageBytes = maxMessageBytes;
        _scanner = new ThriftMessageScanner(maxMessageBytes, maxDepth);
        _tryCharge = tryCharge;
        _release = release;
    }

    /// <summary>Bytes received that belong to no complete message yet.</summary>
    public int Pending => _filled - _messageLength;

    /// <summary>
    /// Waits for the next complete message and returns it, or null when the peer closed the connection between
    /// messages (the normal end of an osqueryd call). Call <see cref="CompleteMessage"/> when done with it.
    /// </summary>
    /// <exception cref="TProtocolException">The bytes are not a Thrift message, or it is too large.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection in the middle of a message.</exception>
    public async ValueTask<ArraySegment<byte>?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_filled > 0 && _scanner.TryScan(_buffer.AsSpan(0, _filled), out var length))
            {
                _messageLength = length;
                return new ArraySegment<byte>(_buffer, 0, length);
            }
            if (_filled == _buffer.Length)
                Grow();
            var received = await _socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                if (_filled == 0)
                    return null;
                throw new EndOfStreamException($"The peer closed the connection after {_filled} bytes of an unfinished request.");
            }
            _filled += received;
        }
    }

    /// <summary>Drops the message returned last, keeping bytes of the next one, and shrinks a grown buffer.</summary>
    public void CompleteMessage()
    {
        var rest = _filled - _messageLength;
        if (_buffer.Length > BaseBufferBytes && rest <= BaseBufferBytes)
        {
            var small = new byte[BaseBufferBytes];
            _buffer.AsSpan(_messageLength, rest).CopyTo(small);
            _release(_buffer.Length - BaseBufferBytes);
            _buffer = small;
        }
        else
        {
            _buffer.AsSpan(_messageLength, rest).CopyTo(_buffer);
        }
        _filled = rest;
        _messageLength = 0;
        _scanner.Reset();
    }

    private void Grow()
    {
        if (_buffer.Length >= _maxMessageBytes)
            throw new TProtocolException(TProtocolException.SIZE_LIMIT, $"A request is larger than {_maxMessageBytes} bytes.");
        var size = (int)Math.Min(_maxMessageBytes, 2L * _buffer.Length);
        if (!_tryCharge(size - _buffer.Length))
            throw new TProtocolException(TProtocolException.SIZE_LIMIT,
                "The extension's buffers for unfinished requests are full; this one was closed instead of waiting.");
        var bigger = GC.AllocateUninitializedArray<byte>(size);
        _buffer.AsSpan(0, _filled).CopyTo(bigger);
        _buffer = bigger;
    }
}
