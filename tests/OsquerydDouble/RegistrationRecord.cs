using OsqueryBpf.OsquerydDouble.Codec;

namespace OsqueryBpf.OsquerydDouble;

/// <summary>One registerExtension call as the double received it, with its raw decoded arguments.</summary>
public sealed class RegistrationRecord
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string SdkVersion { get; init; }
    public required string MinSdkVersion { get; init; }

    /// <summary>registry name -> plugin name -> route rows.</summary>
    public required Dictionary<string, Dictionary<string, List<Dictionary<string, string>>>> Registry { get; init; }

    /// <summary>The registry argument exactly as decoded, with its wire types.</summary>
    public required ThriftMap RawRegistry { get; init; }

    /// <summary>The info struct exactly as decoded.</summary>
    public required ThriftStruct RawInfo { get; init; }

    /// <summary>The reply the double sent.</summary>
    public required ExtensionStatusValue Reply { get; init; }
}
