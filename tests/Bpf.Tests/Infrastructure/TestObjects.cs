using OsqueryBpf.Bpf.Object;

namespace OsqueryBpf.Bpf.Tests.Infrastructure;

/// <summary>The BPF objects compiled from tests/Bpf.Tests/bpf/*.bpf.c and embedded in this assembly.</summary>
internal static class TestObjects
{
    public static byte[] Bytes(string name)
    {
        using var stream = typeof(TestObjects).Assembly.GetManifestResourceStream(name + ".bpf.o")
            ?? throw new InvalidOperationException($"The test object '{name}.bpf.o' is not embedded; is bpf/{name}.bpf.c compiled?");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static CollectionSpec Spec(string name) => CollectionSpec.Parse(Bytes(name));
}
