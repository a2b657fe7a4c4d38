namespace OsqueryBpf.Osquery.Server;

/// <summary>Settings of <see cref="ExtensionServer"/>; the first three come from osqueryd's command line.</summary>
public sealed class ExtensionServerOptions
{
    /// <summary>
    /// The longest manager socket path accepted. Linux's sun_path holds 108 bytes; osquery-go caps the manager
    /// path at 97 characters so that "." plus a five-digit uuid still fits under its 103-character limit.
    /// </summary>
    public const int MaxManagerSocketPathLength = 97;

    /// <summary>The shortest watch interval and wait, as in osquery's ExtensionWatcher.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>osqueryd's extensions socket (<c>--socket</c>).</summary>
    public required string ManagerSocketPath { get; init; }

    /// <summary>How long to wait for the manager socket and to retry a duplicate-name refusal (<c>--timeout</c>).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How often to check that osqueryd is alive and still lists us (<c>--interval</c>).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The extension name osqueryd shows in osquery_extensions; must be unique among extensions.</summary>
    public string Name { get; init; } = "osquery-bpf";

    /// <summary>The extension version shown in osquery_extensions.</summary>
    public string Version { get; init; } = "0.0.0";

    /// <summary>
    /// The sdk_version sent at registration. osqueryd refuses numeric values below 1.7.7; an empty value always
    /// passes (osquery-go sends it), so that is the default.
    /// </summary>
    public string SdkVersion { get; init; } = "";

    /// <summary>Upper bound for one call to the manager, connect included.</summary>
    public TimeSpan ManagerCallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an accepted connection may stay silent while we wait for its next request.</summary>
    public TimeSpan ConnectionReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The largest call reply sent; a bigger table result is answered with status code 1 and a message saying
    /// so. osqueryd (Thrift C++ 0.17) refuses messages over 100 MiB, so the default stays below that.
    /// </summary>
    public int MaxReplyBytes { get; init; } = 96 * 1024 * 1024;

    /// <summary>The socket path osqueryd expects for uuid <paramref name="uuid"/>: "&lt;manager&gt;.&lt;uuid&gt;".</summary>
    public string ExtensionSocketPath(long uuid) => $"{ManagerSocketPath}.{uuid}";

    /// <summary>Checks the manager path; returns null when usable, otherwise a sentence saying why not.</summary>
    public static string? ValidateManagerSocketPath(string? path)
    {
        if (string.IsNullOrEmpty(path))
            return "The osquery extensions socket path is empty; pass --socket PATH.";
        if (path.Length > MaxManagerSocketPathLength)
            return $"The osquery extensions socket path is {path.Length} characters long; at most {MaxManagerSocketPathLength} fit, " +
                   "because '.<uuid>' is appended and a UNIX socket address holds 108 bytes.";
        return null;
    }
}
