using System.Text;

namespace OsqueryBpf.Tls;

/// <summary>
/// The ebpf_tls_events columns that come from the hellos: one row per ClientHello, joined with the server's
/// ServerHello when it was seen.
/// </summary>
public sealed class TlsEventFields
{
    private TlsEventFields() { }

    /// <summary>server_name: the SNI host name, escaped (<see cref="TlsText.HostName"/>); empty without one.</summary>
    public string ServerName { get; private init; } = "";

    /// <summary>alpn: the protocols offered, comma separated in the client's order (<c>h2,http/1.1</c>); empty without ALPN.</summary>
    public string Alpn { get; private init; } = "";

    /// <summary>The protocol the server chose; empty without a ServerHello or without ALPN in it.</summary>
    public string AlpnSelected { get; private init; } = "";

    /// <summary>
    /// The versions offered, GREASE left out, comma separated in the client's order (<c>TLS 1.3,TLS 1.2</c>): from
    /// supported_versions when present, else legacy_version alone.
    /// </summary>
    public string VersionsOffered { get; private init; } = "";

    /// <summary>The version the server chose (<c>TLS 1.3</c>); empty without a ServerHello.</summary>
    public string Version { get; private init; } = "";

    /// <summary>Cipher suites offered, GREASE left out.</summary>
    public int CipherCount { get; private init; }

    /// <summary>The cipher suite the server chose, by IANA name (<see cref="TlsNames.CipherSuite"/>); empty without a ServerHello.</summary>
    public string Cipher { get; private init; } = "";

    /// <summary>The JA4 fingerprint (<see cref="Ja4.Fingerprint"/>); empty when there is no ClientHello to fingerprint.</summary>
    public string Ja4 { get; private init; } = "";

    /// <summary>True when a hello could not be read completely (a short capture, a damaged or hostile hello).</summary>
    public bool ProbeError { get; private init; }

    /// <summary>Why <see cref="ProbeError"/> is set, as a sentence; empty otherwise.</summary>
    public string ParseProblem { get; private init; } = "";

    /// <summary>
    /// The columns for a ClientHello parse result (from <see cref="TlsHello.Parse"/>) and, when seen, the
    /// ServerHello parse result of the same connection. <paramref name="clientOutcome"/> is how the reassembler
    /// handed the client's bytes over.
    /// </summary>
    public static TlsEventFields From(TlsHelloResult client, TlsHelloResult? server = null,
        TlsCaptureOutcome clientOutcome = TlsCaptureOutcome.Complete)
    {
        var problem = Problem(client, server, clientOutcome);
        var hello = client.Client;
        var reply = server?.Server;
        return new TlsEventFields
        {
            ServerName = hello?.ServerName ?? "",
            Alpn = hello is null ? "" : string.Join(',', hello.Alpn),
            AlpnSelected = reply?.Alpn ?? "",
            VersionsOffered = hello is null ? "" : Offered(hello),
            Version = reply is null || reply.LegacyVersion == 0 ? "" : TlsNames.Version(reply.Version),
            CipherCount = hello is null ? 0 : hello.CipherSuites.Count(s => !TlsNames.IsGrease(s)),
            Cipher = reply is null || reply.CipherSuite == 0 ? "" : TlsNames.CipherSuite(reply.CipherSuite),
            Ja4 = hello is null ? "" : OsqueryBpf.Tls.Ja4.Fingerprint(hello),
            ProbeError = problem is not null,
            ParseProblem = problem ?? "",
        };
    }

    private static string Offered(TlsClientHello hello)
    {
        if (!hello.HasSupportedVersionsExtension)
            return hello.LegacyVersion == 0 ? "" : TlsNames.Version(hello.LegacyVersion);
        var text = new StringBuilder();
        foreach (var v in hello.SupportedVersions)
        {
            if (TlsNames.IsGrease(v))
                continue;
            if (text.Length > 0)
                text.Append(',');
            text.Append(TlsNames.Version(v));
        }
        return text.ToString();
    }

    private static string? Problem(TlsHelloResult client, TlsHelloResult? server, TlsCaptureOutcome outcome)
    {
        if (client.Kind != TlsHelloKind.ClientHello && client.IsComplete)
            return "The client's first handshake message is a ServerHello.";
        if (!client.IsComplete)
            return $"ClientHello: {client.Reason}{Capture(outcome)}";
        if (outcome is not (TlsCaptureOutcome.Complete or TlsCaptureOutcome.Malformed))
            return $"ClientHello: {Capture(outcome).TrimStart(' ', '(').TrimEnd(')')}.";
        if (server is { IsComplete: false })
            return $"ServerHello: {server.Reason}";
        if (server is not null && server.Kind != TlsHelloKind.ServerHello)
            return "The server's first handshake message is a ClientHello.";
        return null;
    }

    private static string Capture(TlsCaptureOutcome outcome) => outcome switch
    {
        TlsCaptureOutcome.CaptureCut => " (the capture kept only the start of a segment)",
        TlsCaptureOutcome.TimedOut => " (the rest did not arrive in time)",
        TlsCaptureOutcome.Closed => " (the connection closed first)",
        TlsCaptureOutcome.TooLarge => " (longer than the reassembler holds)",
        TlsCaptureOutcome.Fragmented => " (the segments left too many holes)",
        TlsCaptureOutcome.Evicted => " (the reassembler was full)",
        _ => "",
    };
}
