using Microsoft.Extensions.Logging;
using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Osquery.Thrift;
using Thrift;
using Thrift.Protocol;
using Thrift.Protocol.Entities;

namespace OsqueryBpf.Osquery.Server;

/// <summary>
/// The generated Extension processor with <c>call</c> replaced by a path that lets the table encode its rows
/// straight into the reply (<see cref="TableRows"/>, <see cref="CallReply"/>) and bounds their size to what
/// osqueryd can read. ping, shutdown and unknown method names keep the generated handling.
/// </summary>
internal sealed class ExtensionProcessor : Extension.AsyncProcessor
{
    /// <summary>The largest reply we send (<see cref="ReplyLimits.MaxReplyBytes"/>).</summary>
    public const int DefaultMaxReplyBytes = ReplyLimits.MaxReplyBytes;

    /// <summary>Room kept in a reply for its head and status message.</summary>
    private const int ReplyHeadroom = CallReply.HeadBytes + CallReply.MaxMessageBytes;

    private readonly TablePluginRouter _router;
    private readonly ILogger _logger;
    private readonly int _maxReplyBytes;
    private readonly TimeSpan _replyTimeout;
    private readonly MemoryTrimmer? _trimmer;
    private readonly GenerateSlots _slots;

    public ExtensionProcessor(Extension.IAsync handler, TablePluginRouter router, GenerateSlots slots, ILogger logger,
        int maxReplyBytes = DefaultMaxReplyBytes, TimeSpan? replyTimeout = null, MemoryTrimmer? trimmer = null)
        : base(handler, new ForwardingLogger<Extension.AsyncProcessor>(logger))
    {
        _router = router;
        _slots = slots;
        _logger = logger;
        _maxReplyBytes = Math.Max(maxReplyBytes, 2 * ReplyHeadroom);
        _replyTimeout = replyTimeout ?? TimeSpan.FromSeconds(60);
        _trimmer = trimmer;
        processMap_["call"] = CallAsync;
    }

    private async Task CallAsync(int seqId, TProtocol input, TProtocol output, CancellationToken cancellationToken)
    {
        var args = new Extension.InternalStructs.call_args();
        await args.ReadAsync(input, cancellationToken).ConfigureAwait(false);
        await input.ReadMessageEndAsync(cancellationToken).ConfigureAwait(false);

        // A generate holds its reply, up to the reply cap, until the reply is written: it takes a turn for that long.
        var generate = args.Registry == TablePluginRouter.TableRegistry && args.Request?.GetValueOrDefault("action") == "generate";
        using var turn = generate ? await _slots.EnterAsync(cancellationToken).ConfigureAwait(false) : null;
        var rows = new TableRows(_maxReplyBytes - ReplyHeadroom);
        ExtensionStatus status;
        if (generate && turn is null)
        {
            status = new ExtensionStatus
            {
                Code = 1,
                Message = $"Table '{args.Item}' is busy: {_slots.Concurrent} generates are running and {_slots.Queued} are waiting. Try again.",
                Uuid = _router.Uuid,
            };
        }
        else
        {
            try
            {
                status = await _router.CallAsync(args.Registry, args.Item, args.Request, rows, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError("call({Registry}, {Item}) failed: {Message}", args.Registry, args.Item, e.Message);
                await WriteExceptionAsync(seqId, output, cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        if (status.Code != 0)
            _logger.LogDebug("call({Registry}, {Item}) answered {Code}: {Message}", args.Registry, args.Item, status.Code, status.Message);

        // osqueryd reads its reply at once; a peer that stops reading must not hold a large reply forever.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_replyTimeout);
        try
        {
            await CallReply.WriteAsync(output.Transport, seqId, status, rows, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The peer did not read the reply to call({args.Item}) within {_replyTimeout.TotalSeconds:0} s.");
        }
        finally
        {
            var bytes = rows.Bytes;
            rows.Clear();
            _trimmer?.ReplySent(bytes);
        }
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
