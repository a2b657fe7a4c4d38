using OsqueryBpf.Osquery.Thrift;

namespace OsqueryBpf.Osquery.Server;

/// <summary>
/// The Extension service osqueryd calls on &lt;socket&gt;.&lt;uuid&gt;: ping and shutdown. <c>call</c> is served by
/// <see cref="ExtensionProcessor"/>, which lets tables write their rows straight into the reply.
/// </summary>
internal sealed class ExtensionHandler(Func<long> uuid, Action onShutdown) : Extension.IAsync
{
    public Task<ExtensionStatus> ping(CancellationToken cancellationToken = default) =>
        Task.FromResult(new ExtensionStatus { Code = 0, Message = "OK", Uuid = uuid() });

    public Task<ExtensionResponse> call(string registry, string item, Dictionary<string, string> request, CancellationToken cancellationToken = default) =>
        Task.FromException<ExtensionResponse>(new NotSupportedException("call() is answered by ExtensionProcessor, which streams the rows into the reply."));

    public Task shutdown(CancellationToken cancellationToken = default)
    {
        // Only signal here: the reply is written after this returns, and the server stops on its own task,
        // so a shutdown request never waits for the server it is running in.
        onShutdown();
        return Task.CompletedTask;
    }
}
