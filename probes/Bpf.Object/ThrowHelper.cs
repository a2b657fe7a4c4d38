using System.Diagnostics.CodeAnalysis;

namespace OsqueryBpf.Bpf.Object;

/// <summary>Throw methods kept out of line so the parsing hot paths stay small.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Throw(string message) => throw new BpfObjectException(message);

    [DoesNotReturn]
    public static T Throw<T>(string message) => throw new BpfObjectException(message);
}
