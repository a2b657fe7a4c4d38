using OsqueryBpf.Bpf.Object.Btf;

namespace OsqueryBpf.Bpf.Object.Core;

/// <summary>
/// Follows a CO-RE accessor chain (<c>0:2:1</c>) through the local type, and looks for the same path by member
/// names through a candidate target type. The first accessor indexes the root as an array; the rest are member
/// indices in structs and unions (anonymous members are looked through) or element indices in arrays.
/// </summary>
internal static class CoreFieldLocator
{
    private const int MaxAnonymousDepth = 32;

    /// <summary>The local field; throws for an accessor chain that does not fit the local type (a corrupt object).</summary>
    public static CoreField Local(BtfSpec local, int rootId, int[] access, string accessString)
    {
        var type = local.SkipQualifiers(rootId);
        var bits = access[0] == 0 ? 0 : (ulong)access[0] * RootSizeBits(local, type, accessString);
        uint bitfield = 0;
        for (var i = 1; i < access.Length; i++)
        {
            var kind = local.GetKind(type);
            if (CoreCompatibility.IsComposite(kind))
            {
                if (access[i] >= local.GetVlen(type))
                    ThrowHelper.Throw($"CO-RE accessor '{accessString}' selects member {access[i]} of local type {type}, which has {local.GetVlen(type)}.");
                var member = local.GetMember(type, access[i]);
                bits += member.BitOffset;
                bitfield = member.BitfieldSize;
                if (bitfield != 0 && i != access.Length - 1)
                    ThrowHelper.Throw($"CO-RE accessor '{accessString}' descends into a bitfield.");
                type = local.SkipQualifiers(member.TypeId);
            }
            else if (kind == BtfKind.Array)
            {
                var array = local.GetArray(type);
                if (array.Count != 0 && (uint)access[i] >= array.Count)
                    ThrowHelper.Throw($"CO-RE accessor '{accessString}' indexes element {access[i]} of a local array of {array.Count}.");
                var elementBits = (ulong)local.GetTypeSize(array.ElementTypeId) * 8;
                bits += (ulong)access[i] * elementBits;
                type = local.SkipQualifiers(array.ElementTypeId);
            }
            else
            {
                ThrowHelper.Throw($"CO-RE accessor '{accessString}' indexes into local type {type}, a {kind}, which is neither a struct, union nor array.");
            }
        }
        return new CoreField(bits, type, bitfield);
    }

    /// <summary>
    /// The same field in a target candidate, or null with a reason when the target lacks a member, has an
    /// incompatible type on the way, or an array index is out of its bounds.
    /// </summary>
    public static CoreField? Target(BtfSpec local, int localRootId, BtfSpec target, int targetRootId, int[] access,
        string accessString, out string reason)
    {
        reason = "";
        var localType = local.SkipQualifiers(localRootId);
        var targetType = target.SkipQualifiers(targetRootId);
        if (!CoreCompatibility.AreFieldsCompatible(local, localType, target, targetType))
        {
            reason = $"root type {target.GetKind(targetType)} '{target.GetName(targetType)}' is incompatible";
            return null;
        }
        uint rootSize = 0;
        if (access[0] != 0 && !target.TryGetTypeSize(targetType, out rootSize))
        {
            reason = $"target root type {targetRootId} has no size";
            return null;
        }
        var bits = (ulong)access[0] * rootSize * 8;
        uint bitfield = 0;
        var targetIsLastMember = false; // a flexible array is only allowed as the last member
        for (var i = 1; i < access.Length; i++)
        {
            var localKind = local.GetKind(localType);
            if (CoreCompatibility.IsComposite(localKind))
            {
                var localMember = local.GetMember(localType, access[i]);
                if (localMember.Name.Length == 0)
                {
                    // An anonymous struct/union in the local type: only the local side moves; the target
                    // is searched by the next named member, through its own anonymous members.
                    localType = local.SkipQualifiers(localMember.TypeId);
                    continue;
                }
                if (!CoreCompatibility.IsComposite(target.GetKind(targetType)))
                {
                    reason = $"target type {targetType} is not a struct or union where member '{localMember.Name}' is expected";
                    return null;
                }
                if (!TryFindMember(target, targetType, localMember.Name, out var offset, out var targetMember, out targetIsLastMember))
                {
                    reason = $"target {target.GetKind(targetType)} '{target.GetName(targetType)}' has no member '{localMember.Name}'";
                    return null;
                }
                if (!CoreCompatibility.AreFieldsCompatible(local, localMember.TypeId, target, targetMember.TypeId))
                {
                    reason = $"member '{localMember.Name}' has an incompatible type in the target";
                    return null;
                }
                bits += offset;
                bitfield = targetMember.BitfieldSize;
                localType = local.SkipQualifiers(localMember.TypeId);
                targetType = target.SkipQualifiers(targetMember.TypeId);
            }
            else if (localKind == BtfKind.Array)
            {
                if (target.GetKind(targetType) != BtfKind.Array)
                {
                    reason = $"target type {targetType} is not an array";
                    return null;
                }
                var array = target.GetArray(targetType);
                if (array.Count == 0 && !targetIsLastMember)
                {
                    reason = "target has a zero-length array that is not a flexible array member";
                    return null;
                }
                if (array.Count != 0 && (uint)access[i] >= array.Count)
                {
                    reason = $"index {access[i]} is out of bounds of the target array of {array.Count}";
                    return null;
                }
                if (!target.TryGetTypeSize(array.ElementTypeId, out var elementSize))
                {
                    reason = "target array element has no size";
                    return null;
                }
                bits += (ulong)access[i] * elementSize * 8;
                localType = local.SkipQualifiers(local.GetArray(localType).ElementTypeId);
                targetType = target.SkipQualifiers(array.ElementTypeId);
                targetIsLastMember = false;
                if (!CoreCompatibility.AreFieldsCompatible(local, localType, target, targetType))
                {
                    reason = "array element types are incompatible";
                    return null;
                }
            }
            else
            {
                ThrowHelper.Throw($"CO-RE accessor '{accessString}' indexes into a local {localKind}.");
            }
        }
        return new CoreField(bits, targetType, bitfield);
    }

    /// <summary>Breadth-first search by name through a composite and its anonymous struct/union members.</summary>
    private static bool TryFindMember(BtfSpec btf, int compositeId, string name, out ulong bitOffset, out BtfMember member, out bool isLast)
    {
        var queue = new Queue<(int Type, ulong Offset)>();
        queue.Enqueue((compositeId, 0));
        var visited = 0;
        while (queue.Count > 0 && visited++ < MaxAnonymousDepth * 8)
        {
            var (type, baseOffset) = queue.Dequeue();
            var vlen = btf.GetVlen(type);
            for (var i = 0; i < vlen; i++)
            {
                var candidate = btf.GetMember(type, i);
                if (candidate.Name == name)
                {
                    bitOffset = baseOffset + candidate.BitOffset;
                    member = candidate;
                    isLast = i == vlen - 1;
                    return true;
                }
                if (candidate.Name.Length == 0)
                {
                    var inner = btf.SkipQualifiers(candidate.TypeId);
                    if (CoreCompatibility.IsComposite(btf.GetKind(inner)))
                        queue.Enqueue((inner, baseOffset + candidate.BitOffset));
                }
            }
        }
        bitOffset = 0;
        member = default;
        isLast = false;
        return false;
    }

    private static ulong RootSizeBits(BtfSpec btf, int type, string accessString)
    {
        if (!btf.TryGetTypeSize(type, out var size))
            ThrowHelper.Throw($"CO-RE accessor '{accessString}' starts at local type {type}, which has no size.");
        return (ulong)size * 8;
    }
}
