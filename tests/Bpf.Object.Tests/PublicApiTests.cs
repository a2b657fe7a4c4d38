using System.Reflection;
using OsqueryBpf.TestSupport;
using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

/// <summary>
/// The public surface of Bpf.Object is the contract with the kernel layer: any change shows up here as a diff
/// against PublicApi.verified.txt. After a deliberate change, run with BPF_OBJECT_UPDATE_API=1 and commit the file.
/// </summary>
public class PublicApiTests
{
    [Fact]
    public void PublicApiMatchesTheVerifiedSnapshot()
    {
        var actual = string.Join('\n', Describe(typeof(CollectionSpec).Assembly)) + "\n";
        var path = Path.Combine(RepositoryPaths.Root, "tests", "Bpf.Object.Tests", "PublicApi.verified.txt");
        if (Environment.GetEnvironmentVariable("BPF_OBJECT_UPDATE_API") == "1")
            File.WriteAllText(path, actual);
        var expected = File.Exists(path) ? File.ReadAllText(path) : "";
        Assert.True(expected == actual,
            "The public API of OsqueryBpf.Bpf.Object changed. Differences (- snapshot, + now):\n" + Diff(expected, actual));
    }

    private static IEnumerable<string> Describe(Assembly assembly)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var kind = type.IsEnum ? "enum" : type.IsValueType ? "struct" : type.IsInterface ? "interface" : type.IsAbstract && type.IsSealed ? "static class" : "class";
            yield return $"{kind} {type.FullName}";
            if (type.IsEnum)
            {
                foreach (var name in Enum.GetNames(type))
                    yield return $"  {name} = {Convert.ToUInt64(Enum.Parse(type, name))}";
                continue;
            }
            var members = new List<string>();
            foreach (var member in type.GetMembers(flags))
            {
                switch (member)
                {
                    case ConstructorInfo c:
                        members.Add($"  ctor({Parameters(c)})");
                        break;
                    case MethodInfo m when !m.IsSpecialName:
                        members.Add($"  {(m.IsStatic ? "static " : "")}{Name(m.ReturnType)} {m.Name}{(m.IsGenericMethod ? "<" + string.Join(",", m.GetGenericArguments().Select(Name)) + ">" : "")}({Parameters(m)})");
                        break;
                    case MethodInfo op when op.Name.StartsWith("op_", StringComparison.Ordinal):
                        members.Add($"  static {Name(op.ReturnType)} {op.Name}({Parameters(op)})");
                        break;
                    case PropertyInfo p:
                        var accessors = (p.GetMethod?.IsPublic == true ? "get; " : "") + (p.SetMethod?.IsPublic == true ? (IsInitOnly(p) ? "init; " : "set; ") : "");
                        members.Add($"  {(p.GetMethod?.IsStatic == true ? "static " : "")}{Name(p.PropertyType)} {p.Name} {{ {accessors}}}");
                        break;
                    case FieldInfo f:
                        members.Add($"  {(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{Name(f.FieldType)} {f.Name}");
                        break;
                }
            }
            foreach (var line in members.Order(StringComparer.Ordinal))
                yield return line;
        }
    }

    private static bool IsInitOnly(PropertyInfo property) =>
        property.SetMethod?.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit") == true;

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p => $"{(p.IsOut ? "out " : "")}{Name(p.ParameterType)} {p.Name}"));

    private static string Name(Type type)
    {
        if (type.IsByRef)
            return Name(type.GetElementType() ?? type);
        if (type.IsArray)
            return Name(type.GetElementType() ?? type) + "[]";
        if (!type.IsGenericType)
            return type.Name;
        var name = type.Name[..type.Name.IndexOf('`')];
        return $"{name}<{string.Join(",", type.GetGenericArguments().Select(Name))}>";
    }

    private static string Diff(string expected, string actual)
    {
        var before = expected.Split('\n').ToHashSet();
        var after = actual.Split('\n').ToHashSet();
        return string.Join('\n', before.Except(after).Select(l => "- " + l).Concat(after.Except(before).Select(l => "+ " + l)));
    }
}
