using Microsoft.Extensions.Logging;
using OsqueryBpf.Osquery.Thrift;
using Thrift;
using Thrift.Protocol;
using Thrift.Protocol.Entities;

namespace OsqueryBpf.Osquery.Server;

/// <summary>
/// The generated Extension processor with <c>call</c> replaced by a path that encodes the reply in one pass
/// (<see cref="CallReplyEncoder"/>) and refuses replies osqueryd could not read. ping, shutdown and unknown
/// method names keep the generated handling.
/// </summary>
internal sealed class ExtensionProcessor : Extension.AsyncProcessor
{
    /// <summary>
    /// The largest reply we send. osqueryd links Thrift C++ 0.17, whose buffered transport refuses messages
    /// over 100 MiB; a bigger result becomes a clear error instead of a broken connection.
    /// </summary>
    public const int DefaultMaxReplyBytes = 96 * 1024 * 1024;

    private readonly Extension.IAsync _handler;
    private readonly ILogger _logger;
    private readonly int _maxReplyBytes;

    public ExtensionProcessor(Extension.IAsync handler, ILogger logger, int maxReplyBytes = DefaultMaxReplyBytes)
        : base(handler, new ForwardingLogger<Extension.AsyncProcessor>(logger))
    {
        _handler = handler;
        _logger = logger;
        _maxReplyBytes = maxReplyBytes;
        processMap_["call"] = CallAsync;
    }

    private async Task CallAsync(int seqId, TProtocol input, TProtocol output, CancellationToken cancellationToken)
    {
        var args = new Extension.InternalStructs.call_args();
        await args.ReadAsync(input, cancellationToken).ConfigureAwait(false);
        await input.ReadMessageEndAsync(cancellationToken).ConfigureAwait(false);

        ExtensionResponse response;
        try
        {
            response = await _handler.call(args.Registry, args.Item, args.Request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError("call({Registry}, {Item}) failed: {Message}", args.Registry, args.Item, e.Message);
            await WriteExceptionAsync(seqId, output, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var encoder = new CallReplyEncoder();
        encoder.Encode(seqId, response);
        if (encoder.Length > _maxReplyBytes)
        {
            var rows = response.Response?.Count ?? 0;
            _logger.LogWarning("call({Registry}, {Item}) produced {Bytes} bytes in {Rows} rows; replying with an error instead.",
                args.Registry, args.Item, encoder.Length, rows);
            encoder.Encode(seqId, new ExtensionResponse
            {
                Status = new ExtensionStatus
                {
                    Code = 1,
                    Message = $"The result of '{args.Item}' has {rows} rows ({encoder.Length} bytes), more than osqueryd " +
                              $"accepts in one reply ({_maxReplyBytes} bytes here); constrain the query, for example with a time range.",
                    Uuid = response.Status?.Uuid ?? 0,
                },
                Response = [],
            });
        }
        await output.Transport.WriteAsync(encoder.Buffer, 0, encoder.Length, cancellationToken).ConfigureAwait(false);
        await output.Transport.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteExceptionAsync(int seqId, TProtocol output, CancellationToken cancellationToken)
    {
        var error = new TApplicationException(TApplicationException.ExceptionType.InternalError, "Internal error.");
        await output.WriteMessageBeginAsync(new TMessage("call", TMessageType.Exception, seqId), cancellationToken).ConfigureAwait(false);
        await error.WriteAsync(output, cancellationToken).ConfigureAwait(false);
        await output.WriteMessageEndAsync(cancellationToken).ConfigureAwait(false);
        await output.Transport.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
