using System.Reflection;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

/// <summary>Bpf.Object is the pure layer: it must not reach the kernel or native code (architecture.md).</summary>
public class PurityTests
{
    [Fact]
    public void TheLibraryDeclaresNoNativeMethods()
    {
        var assembly = typeof(CollectionSpec).Assembly;
        var flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        var native = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(flags))
            .Where(m => (m.Attributes & MethodAttributes.PinvokeImpl) != 0 || m.GetCustomAttributes().Any(a => a.GetType().Name is "LibraryImportAttribute" or "DllImportAttribute"))
            .Select(m => $"{m.DeclaringType}.{m.Name}")
            .ToList();
        Assert.Empty(native);
    }

    [Fact]
    public void TheLibraryReferencesNoKernelFacingAssembly()
    {
        var references = typeof(CollectionSpec).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();
        Assert.DoesNotContain(references, name => name.StartsWith("Tmds", StringComparison.Ordinal) || name == "OsqueryBpf.Bpf");
    }
}
