using System.Reflection;

namespace OsqueryBpf.Bpf.Object.Tests;

/// <summary>The BPF objects and BTF blob embedded in this test assembly.</summary>
internal static class TestObjects
{
    public static byte[] Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The test assembly has no embedded resource '{name}'.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static byte[] MapsAndPrograms => Resource("maps_and_programs.bpf.o");

    public static byte[] Core => Resource("core.bpf.o");

    /// <summary>testdata/target.btf, made from testdata/target_btf.c.</summary>
    public static byte[] TargetBtf => Resource("target.btf");
}
