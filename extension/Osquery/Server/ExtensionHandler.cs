using OsqueryBpf.Osquery.Tables;
using OsqueryBpf.Osquery.Thrift;

namespace OsqueryBpf.Osquery.Server;

/// <summary>The Extension service osqueryd calls on &lt;socket&gt;.&lt;uuid&gt;: ping, call and shutdown.</summary>
internal sealed class ExtensionHandler(TablePluginRouter router, Action onShutdown) : Extension.IAsync
{
    public Task<ExtensionStatus> ping(CancellationToken cancellationToken = default) =>
        Task.FromResult(new ExtensionStatus { Code = 0, Message = "OK", Uuid = router.Uuid });

    public Task<ExtensionResponse> call(string registry, string item, Dictionary<string, string> request, CancellationToken cancellationToken = default) =>
        router.CallAsync(registry, item, request, cancellationToken);

    public Task shutdown(CancellationToken cancellationToken = default)
    {
        // Only signal here: the reply is written after this returns, and the server stops on its own task,
        // so a shutdown request never waits for the server it is running in.
        onShutdown();
        return Task.CompletedTask;
    }
}
