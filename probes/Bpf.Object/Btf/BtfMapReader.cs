namespace OsqueryBpf.Bpf.Object.Btf;

/// <summary>
/// Reads BTF-defined maps: each variable of the <c>.maps</c> DATASEC is a struct whose members encode the map's
/// attributes. <c>__uint(name, N)</c> is a member <c>int (*name)[N]</c> (the value is the array length) and
/// <c>__type(name, T)</c> is a member <c>T *name</c> (the size comes from T).
/// </summary>
internal static class BtfMapReader
{
    public static List<MapSpec> Read(BtfSpec btf, string sectionName)
    {
        var result = new List<MapSpec>();
        if (!btf.TryFindType(sectionName, BtfKind.DataSec, out var datasec))
            ThrowHelper.Throw($"The object has a '{sectionName}' section but its BTF has no DATASEC for it.");
        var vlen = btf.GetVlen(datasec);
        for (var i = 0; i < vlen; i++)
        {
            var varId = btf.GetVarSecInfo(datasec, i).TypeId;
            if (btf.GetKind(varId) != BtfKind.Var)
                ThrowHelper.Throw($"Entry {i} of the '{sectionName}' DATASEC is a {btf.GetKind(varId)}, not a variable.");
            var name = btf.GetName(varId);
            var defId = btf.SkipQualifiers(btf.GetReferencedTypeId(varId));
            if (btf.GetKind(defId) != BtfKind.Struct)
                ThrowHelper.Throw($"The map '{name}' is declared as a {btf.GetKind(defId)}, not a struct of __uint/__type members.");
            result.Add(ReadMap(btf, name, defId, sectionName));
        }
        return result;
    }

    private static MapSpec ReadMap(BtfSpec btf, string name, int defId, string sectionName)
    {
        var map = new MapSpec { Name = name, SectionName = sectionName };
        var members = btf.GetVlen(defId);
        for (var m = 0; m < members; m++)
        {
            var member = btf.GetMember(defId, m);
            switch (member.Name)
            {
                case "type":
                    map.Type = (MapType)UIntValue(btf, name, member);
                    break;
                case "max_entries":
                    map.MaxEntries = UIntValue(btf, name, member);
                    break;
                case "map_flags":
                    map.Flags = UIntValue(btf, name, member);
                    break;
                case "key_size":
                    SetSize(map, name, "key", UIntValue(btf, name, member), key: true);
                    break;
                case "value_size":
                    SetSize(map, name, "value", UIntValue(btf, name, member), key: false);
                    break;
                case "key":
                    var keyType = PointedType(btf, name, member);
                    SetSize(map, name, "key", btf.GetTypeSize(keyType), key: true);
                    map.BtfKeyTypeId = (uint)keyType;
                    break;
                case "value":
                    var valueType = PointedType(btf, name, member);
                    SetSize(map, name, "value", btf.GetTypeSize(valueType), key: false);
                    map.BtfValueTypeId = (uint)valueType;
                    break;
                case "values":
                    ThrowHelper.Throw($"The map '{name}' declares 'values' (map-in-map or program array initialisation), which is not supported.");
                    break;
                case "pinning":
                    if (UIntValue(btf, name, member) != 0)
                        ThrowHelper.Throw($"The map '{name}' asks for pinning, which is not supported.");
                    break;
                case "numa_node" or "map_extra":
                    UIntValue(btf, name, member); // validated but not used: no NUMA placement or bloom filter hashes here
                    break;
                default:
                    ThrowHelper.Throw($"The map '{name}' has an unknown attribute '{member.Name}'.");
                    break;
            }
        }
        if (map.Type == MapType.Unspecified)
            ThrowHelper.Throw($"The map '{name}' has no type.");
        return map;
    }

    private static void SetSize(MapSpec map, string name, string what, uint size, bool key)
    {
        var existing = key ? map.KeySize : map.ValueSize;
        if (existing != 0 && existing != size)
            ThrowHelper.Throw($"The map '{name}' declares its {what} size twice, as {existing} and {size}.");
        if (key)
            map.KeySize = size;
        else
            map.ValueSize = size;
    }

    /// <summary>The N of <c>int (*name)[N]</c>.</summary>
    private static uint UIntValue(BtfSpec btf, string map, BtfMember member)
    {
        var pointer = btf.SkipQualifiers(member.TypeId);
        if (btf.GetKind(pointer) != BtfKind.Pointer)
            ThrowHelper.Throw($"The attribute '{member.Name}' of map '{map}' is not encoded as __uint (a pointer to an array).");
        var array = btf.SkipQualifiers(btf.GetReferencedTypeId(pointer));
        if (btf.GetKind(array) != BtfKind.Array)
            ThrowHelper.Throw($"The attribute '{member.Name}' of map '{map}' is not encoded as __uint (a pointer to an array).");
        return btf.GetArray(array).Count;
    }

    /// <summary>The T of <c>T *name</c>.</summary>
    private static int PointedType(BtfSpec btf, string map, BtfMember member)
    {
        var pointer = btf.SkipQualifiers(member.TypeId);
        if (btf.GetKind(pointer) != BtfKind.Pointer)
            ThrowHelper.Throw($"The attribute '{member.Name}' of map '{map}' is not encoded as __type (a pointer).");
        return btf.GetReferencedTypeId(pointer);
    }
}
