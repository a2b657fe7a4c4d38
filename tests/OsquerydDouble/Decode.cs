using OsqueryBpf.OsquerydDouble.Codec;

namespace OsqueryBpf.OsquerydDouble;

/// <summary>Turns decoded Thrift values into the osquery shapes, failing loudly on wrong wire types.</summary>
internal static class Decode
{
    public static ExtensionStatusValue Status(ThriftStruct s) =>
        new(s.GetI32(1) ?? 0, s.GetString(2) ?? "", s.GetI64(3) ?? 0);

    public static Dictionary<string, string> StringMap(object value)
    {
        var map = Expect<ThriftMap>(value, "map<string,string>");
        if (map.Entries.Count > 0 && (map.KeyType != TType.String || map.ValueType != TType.String))
            throw new ThriftProtocolError($"Expected map<string,string>, got map<{map.KeyType},{map.ValueType}>.");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Entries)
            result[(string)k] = (string)v;
        return result;
    }

    public static List<Dictionary<string, string>> Rows(object? value)
    {
        if (value is null)
            return [];
        var list = Expect<ThriftList>(value, "list<map<string,string>>");
        if (list.Items.Count > 0 && list.ElementType != TType.Map)
            throw new ThriftProtocolError($"Expected list<map>, got list<{list.ElementType}>.");
        return list.Items.Select(StringMap).ToList();
    }

    public static Dictionary<string, Dictionary<string, List<Dictionary<string, string>>>> Registry(ThriftMap map)
    {
        var result = new Dictionary<string, Dictionary<string, List<Dictionary<string, string>>>>(StringComparer.Ordinal);
        foreach (var (registry, table) in map.Entries)
        {
            var inner = Expect<ThriftMap>(table, "map<string, list<map<string,string>>>");
            var plugins = new Dictionary<string, List<Dictionary<string, string>>>(StringComparer.Ordinal);
            foreach (var (plugin, routes) in inner.Entries)
                plugins[(string)plugin] = Rows(routes);
            result[(string)registry] = plugins;
        }
        return result;
    }

    public static T Expect<T>(object? value, string what) where T : class =>
        value as T ?? throw new ThriftProtocolError($"Expected {what}, got {value?.GetType().Name ?? "nothing"}.");
}
