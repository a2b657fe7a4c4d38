namespace OsqueryBpf.Tls.Tests;

/// <summary>Hellos built field by field, shaped like current clients' and servers'.</summary>
internal static class SampleHellos
{
    /// <summary>A browser-like TLS 1.3 ClientHello: GREASE, SNI, ALPN, versions, groups, signatures, point formats.</summary>
    public static HelloBuilder Browser() =>
        new HelloBuilder
        {
            SessionId = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray(),
            CipherSuites = [0x4a4a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
        }
            .Extension(0x2a2a, [])
            .ServerName("www.example.com")
            .Extension(0x0017, [])
            .Extension(0xff01, [0])
            .SupportedGroups(0x3a3a, 0x001d, 0x0017, 0x0018)
            .EcPointFormats(0)
            .Extension(0x0023, [])
            .Alpn("h2", "http/1.1")
            .Extension(0x0005, [1, 0, 0, 0, 0])
            .SignatureAlgorithms(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)
            .Extension(0x0012, [])
            .Extension(0x0033, [0, 6, 0x3a, 0x3a, 0, 1, 0, 0])
            .Extension(0x002d, [1, 1])
            .SupportedVersions(0x5a5a, 0x0304, 0x0303)
            .Extension(0x001b, [2, 0, 2])
            .Extension(0x6a6a, [0]);

    /// <summary>A TLS 1.3 ServerHello choosing TLS_AES_128_GCM_SHA256.</summary>
    public static byte[] ServerHello13() =>
        HelloBuilder.Records(new HelloBuilder { SessionId = new byte[32] }
            .Extension(0x0033, [0, 0x1d, 0, 32, .. new byte[32]])
            .Extension(43, [3, 4]) // a ServerHello's supported_versions is the one version chosen
            .ServerHelloMessage(0x1301), int.MaxValue, 0x0303);

    /// <summary>A TLS 1.2 ServerHello with ALPN, built directly.</summary>
    public static byte[] ServerHello12() =>
        HelloBuilder.Records(new HelloBuilder().Extension(0xff01, [0]).Extension(16, [0, 3, 2, (byte)'h', (byte)'2']).ServerHelloMessage(0xc02f),
            int.MaxValue, 0x0303);
}
