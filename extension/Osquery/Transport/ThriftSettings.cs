using Thrift;

namespace OsqueryBpf.Osquery.Transport;

/// <summary>
/// Limits and sizes shared by the server and the manager client. osqueryd speaks buffered binary Thrift
/// (strict write, lax read) with no framing (osquery-protocol.md 1.4).
/// </summary>
public static class ThriftSettings
{
    /// <summary>
    /// The largest message we read. Requests to an extension are small (a call with a context JSON); 16 MiB
    /// leaves room for huge IN lists while refusing a frame that declares a 2 GiB string before allocating it.
    /// </summary>
    public const int DefaultMaxMessageSize = 16 * 1024 * 1024;

    /// <summary>
    /// Buffer size of the buffered transport (one read and one write buffer per connection): large replies go
    /// out in few write calls while an open connection costs little memory.
    /// </summary>
    public const int BufferSize = 16 * 1024;

    /// <summary>
    /// The configuration for every transport we create. The binary protocol checks each declared string,
    /// list and map size against MaxMessageSize before allocating.
    /// </summary>
    public static TConfiguration CreateConfiguration(int maxMessageSize = DefaultMaxMessageSize) => new()
    {
        MaxMessageSize = maxMessageSize,
        MaxFrameSize = maxMessageSize,
        RecursionLimit = 64,
    };
}
