using OsqueryBpf.Bpf.Object.Btf;

namespace OsqueryBpf.Bpf.Object.Core;

/// <summary>
/// The CO-RE compatibility rules (as libbpf and cilium/ebpf define them), used to decide whether a target type can
/// stand in for a local one. Names of nested types are ignored except for enums and forward declarations; sizes
/// are ignored; typedefs and qualifiers are looked through.
/// </summary>
internal static class CoreCompatibility
{
    private const int MaxDepth = 32;

    /// <summary>Whether two kinds may be CO-RE candidates for each other (enum and enum64 mix).</summary>
    public static bool KindsMatch(BtfKind local, BtfKind target) =>
        local == target || (IsEnum(local) && IsEnum(target));

    public static bool IsEnum(BtfKind kind) => kind is BtfKind.Enum or BtfKind.Enum64;

    public static bool IsComposite(BtfKind kind) => kind is BtfKind.Struct or BtfKind.Union;

    /// <summary>
    /// Field-relocation compatibility of two member types: any two structs/unions match; pointers, ints, floats and
    /// arrays match their own kind; enums and forward declarations match when their essential names agree or one
    /// is anonymous.
    /// </summary>
    public static bool AreFieldsCompatible(BtfSpec local, int localId, BtfSpec target, int targetId)
    {
        localId = local.SkipQualifiers(localId);
        targetId = target.SkipQualifiers(targetId);
        var lk = local.GetKind(localId);
        var tk = target.GetKind(targetId);
        if (IsComposite(lk) && IsComposite(tk))
            return true;
        if (!KindsMatch(lk, tk))
            return false;
        switch (lk)
        {
            case BtfKind.Pointer or BtfKind.Float or BtfKind.Array:
                return true;
            case BtfKind.Int:
                // Legacy bitfield-style ints (non-zero bit offset) are not relocatable.
                return local.GetInt(localId).BitOffset == 0 && target.GetInt(targetId).BitOffset == 0;
            case BtfKind.Enum or BtfKind.Enum64 or BtfKind.Forward:
                return NamesMatch(local, localId, target, targetId);
            default:
                return false;
        }
    }

    /// <summary>
    /// Type-relocation compatibility: kinds match level by level (a FWD matches a struct or union of its flavor),
    /// pointers, arrays and typedefs recurse, function prototypes need the same parameter count and compatible types.
    /// </summary>
    public static bool AreTypesCompatible(BtfSpec local, int localId, BtfSpec target, int targetId)
    {
        var pending = new Stack<(int Local, int Target, int Depth)>();
        pending.Push((localId, targetId, 0));
        while (pending.Count > 0)
        {
            var (l, t, depth) = pending.Pop();
            if (depth > MaxDepth)
                return false;
            l = local.SkipQualifiers(l);
            t = target.SkipQualifiers(t);
            var lk = local.GetKind(l);
            var tk = target.GetKind(t);
            if (lk == BtfKind.Forward && IsComposite(tk))
            {
                if (local.GetKindFlag(l) == (tk == BtfKind.Union))
                    continue;
                return false;
            }
            if (!KindsMatch(lk, tk))
                return false;
            switch (lk)
            {
                case BtfKind.Void or BtfKind.Struct or BtfKind.Union or BtfKind.Enum or BtfKind.Enum64 or BtfKind.Forward or BtfKind.Int or BtfKind.Float:
                    break;
                case BtfKind.Pointer:
                    pending.Push((local.GetReferencedTypeId(l), target.GetReferencedTypeId(t), depth + 1));
                    break;
                case BtfKind.Array:
                    pending.Push((local.GetArray(l).ElementTypeId, target.GetArray(t).ElementTypeId, depth + 1));
                    break;
                case BtfKind.FuncProto:
                    var count = local.GetVlen(l);
                    if (count != target.GetVlen(t))
                        return false;
                    pending.Push((local.GetReferencedTypeId(l), target.GetReferencedTypeId(t), depth + 1));
                    for (var i = 0; i < count; i++)
                        pending.Push((local.GetParameter(l, i).TypeId, target.GetParameter(t, i).TypeId, depth + 1));
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    /// <summary>
    /// TYPE_MATCHES: compatible as above, and for structs and unions every local member exists in the target by
    /// name with a compatible type; for enums every local enumerator exists in the target.
    /// </summary>
    public static bool TypesMatch(BtfSpec local, int localId, BtfSpec target, int targetId)
    {
        if (!AreTypesCompatible(local, localId, target, targetId))
            return false;
        var l = local.SkipQualifiers(localId);
        var t = target.SkipQualifiers(targetId);
        var kind = local.GetKind(l);
        if (IsComposite(kind))
        {
            if (target.GetKind(t) != kind)
                return false;
            for (var i = 0; i < local.GetVlen(l); i++)
            {
                var member = local.GetMember(l, i);
                if (member.Name.Length == 0)
                    continue;
                if (!target.TryGetMemberOffset(t, member.Name, out _, out var targetMember) ||
                    !AreFieldsCompatible(local, member.TypeId, target, targetMember.TypeId))
                    return false;
            }
        }
        else if (IsEnum(kind))
        {
            for (var i = 0; i < local.GetVlen(l); i++)
            {
                var name = BtfSpec.EssentialName(local.GetEnumValue(l, i).Name);
                var found = false;
                for (var j = 0; j < target.GetVlen(t) && !found; j++)
                    found = BtfSpec.EssentialName(target.GetEnumValue(t, j).Name) == name;
                if (!found)
                    return false;
            }
        }
        return true;
    }

    private static bool NamesMatch(BtfSpec local, int localId, BtfSpec target, int targetId)
    {
        var l = BtfSpec.EssentialName(local.NameBytes(localId));
        var t = BtfSpec.EssentialName(target.NameBytes(targetId));
        return l.IsEmpty || t.IsEmpty || l.SequenceEqual(t);
    }
}
