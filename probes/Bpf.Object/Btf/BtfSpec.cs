using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace OsqueryBpf.Bpf.Object.Btf;

/// <summary>
/// Parsed BTF (BPF Type Format): the kernel's <c>/sys/kernel/btf/vmlinux</c> or an object's <c>.BTF</c> section.
/// Parsing only records where each type starts, in one int array, so a 5.5 MB kernel blob parses in a few
/// milliseconds; names are decoded when asked for, and the name index used by lookups is built on first use.
/// </summary>
/// <remarks>
/// Type ids run from 1 to <see cref="TypeCount"/>; id 0 is void. Every accessor checks its input against the blob
/// and throws <see cref="BpfObjectException"/> for out-of-range ids or offsets, never another exception type.
/// Instances are immutable and safe to share between threads.
/// </remarks>
public sealed partial class BtfSpec
{
    /// <summary>BTF magic number, 0xeB9F, little-endian.</summary>
    public const ushort Magic = 0xeB9F;

    internal const int TypeHeaderSize = 12;
    private const int MaxResolveDepth = 32; // as libbpf: deeper typedef/qualifier chains are treated as corrupt

    private readonly byte[] _raw;         // the whole blob, header included (kept for re-emitting)
    private readonly int _typesStart;     // offset of the type section in _raw
    private readonly int _typesLength;
    private readonly int _stringsStart;   // offset of the string section in _raw
    private readonly int _stringsLength;
    private readonly int[] _offsets;      // _offsets[id] = offset of type id in the type section; [0] unused
    private NameIndex? _nameIndex;        // built on first lookup; racing builds produce identical results

    private BtfSpec(byte[] raw, int typesStart, int typesLength, int stringsStart, int stringsLength, int[] offsets, int count)
    {
        _raw = raw;
        _typesStart = typesStart;
        _typesLength = typesLength;
        _stringsStart = stringsStart;
        _stringsLength = stringsLength;
        _offsets = offsets;
        TypeCount = count;
    }

    /// <summary>Number of types, not counting void: valid ids are 1..TypeCount.</summary>
    public int TypeCount { get; }

    /// <summary>The blob this spec was parsed from.</summary>
    public ReadOnlySpan<byte> RawBytes => _raw;

    /// <summary>Parses a BTF blob (header, type section, string section).</summary>
    /// <exception cref="BpfObjectException">The blob is truncated, has a bad magic or header, or a type record runs past its section or has an unknown kind.</exception>
    public static BtfSpec Parse(ReadOnlySpan<byte> btf) => ParseOwned(btf.ToArray());

    /// <summary>
    /// Reads and parses a BTF file such as <c>/sys/kernel/btf/vmlinux</c> (a convenience; with
    /// <see cref="CollectionSpec.ParseFile"/> the only file access in this library). The bytes are read once and
    /// not copied again.
    /// </summary>
    /// <exception cref="BpfObjectException">The file's contents are not valid BTF.</exception>
    public static BtfSpec ParseFile(string path) => ParseOwned(File.ReadAllBytes(path));

    /// <summary>Parses <paramref name="raw"/>, which the new spec keeps: the caller must not change it afterwards.</summary>
    private static BtfSpec ParseOwned(byte[] raw)
    {
        ReadOnlySpan<byte> btf = raw;
        if (btf.Length < 24)
            ThrowHelper.Throw($"BTF is {btf.Length} bytes long, shorter than the 24-byte header.");
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(btf);
        if (magic != Magic)
            ThrowHelper.Throw(magic == 0x9FEB
                ? "BTF is big-endian; only little-endian BTF is supported."
                : $"BTF has magic 0x{magic:x4} instead of 0x{Magic:x4}.");
        if (btf[2] != 1)
            ThrowHelper.Throw($"BTF version {btf[2]} is not supported (expected 1).");
        var headerLength = BinaryPrimitives.ReadUInt32LittleEndian(btf[4..]);
        if (headerLength < 24 || headerLength > (uint)btf.Length)
            ThrowHelper.Throw($"BTF header length {headerLength} is outside the blob of {btf.Length} bytes.");
        var typeOff = BinaryPrimitives.ReadUInt32LittleEndian(btf[8..]);
        var typeLen = BinaryPrimitives.ReadUInt32LittleEndian(btf[12..]);
        var strOff = BinaryPrimitives.ReadUInt32LittleEndian(btf[16..]);
        var strLen = BinaryPrimitives.ReadUInt32LittleEndian(btf[20..]);
        var body = (ulong)btf.Length - headerLength;
        if ((ulong)typeOff + typeLen > body)
            ThrowHelper.Throw($"BTF type section (offset {typeOff}, length {typeLen}) runs past the end of the blob ({body} bytes after the header).");
        if ((ulong)strOff + strLen > body)
            ThrowHelper.Throw($"BTF string section (offset {strOff}, length {strLen}) runs past the end of the blob ({body} bytes after the header).");
        if (strLen == 0 || btf[(int)(headerLength + strOff + strLen - 1)] != 0)
            ThrowHelper.Throw("BTF string section is empty or does not end with a NUL byte.");

        var typesStart = (int)(headerLength + typeOff);
        var types = raw.AsSpan(typesStart, (int)typeLen);

        // Each type is at least 12 bytes, which bounds the count by the section size: no allocation
        // can be driven by a count field in the file.
        var offsets = new int[types.Length / TypeHeaderSize + 1];
        var count = 0;
        var pos = 0;
        while (pos < types.Length)
        {
            if (types.Length - pos < TypeHeaderSize)
                ThrowHelper.Throw($"BTF type {count + 1} at type-section offset {pos} is truncated: {types.Length - pos} bytes remain, a type header needs {TypeHeaderSize}.");
            var info = BinaryPrimitives.ReadUInt32LittleEndian(types[(pos + 4)..]);
            var kind = (int)((info >> 24) & 0x1f);
            var vlen = (int)(info & 0xffff);
            var extra = kind switch
            {
                1 => 4, // INT: encoding word
                2 or 7 or 8 or 9 or 10 or 11 or 12 or 16 or 18 => 0,
                3 => 12, // ARRAY: btf_array
                4 or 5 => vlen * 12, // STRUCT/UNION: btf_member
                6 => vlen * 8, // ENUM: btf_enum
                13 => vlen * 8, // FUNC_PROTO: btf_param
                14 => 4, // VAR: linkage
                15 => vlen * 12, // DATASEC: btf_var_secinfo
                17 => 4, // DECL_TAG: component_idx
                19 => vlen * 12, // ENUM64: btf_enum64
                _ => -1,
            };
            if (extra < 0)
                ThrowHelper.Throw($"BTF type {count + 1} at type-section offset {pos} has unknown kind {kind}.");
            var size = TypeHeaderSize + extra;
            if (size > types.Length - pos)
                ThrowHelper.Throw($"BTF type {count + 1} ({(BtfKind)kind}) at type-section offset {pos} needs {size} bytes but only {types.Length - pos} remain.");
            var nameOff = BinaryPrimitives.ReadUInt32LittleEndian(types[pos..]);
            if (nameOff >= strLen)
                ThrowHelper.Throw($"BTF type {count + 1} at type-section offset {pos} has name offset {nameOff} outside the string section of {strLen} bytes.");
            offsets[++count] = pos;
            pos += size;
        }
        return new BtfSpec(raw, typesStart, (int)typeLen, (int)(headerLength + strOff), (int)strLen, offsets, count);
    }

    // ---- raw access -------------------------------------------------------------------------------------------

    private int TypeOffset(int id)
    {
        if ((uint)(id - 1) >= (uint)TypeCount)
            ThrowHelper.Throw($"BTF type id {id} is out of range (the blob has types 1 to {TypeCount}).");
        return _typesStart + _offsets[id];
    }

    /// <summary>Offset of type <paramref name="id"/>'s record within <see cref="RawBytes"/>.</summary>
    internal int RawOffsetOf(int id) => TypeOffset(id);

    private uint Word(int absoluteOffset) => BinaryPrimitives.ReadUInt32LittleEndian(_raw.AsSpan(absoluteOffset, 4));

    private uint Info(int id) => Word(TypeOffset(id) + 4);

    /// <summary>Raw bytes of the string at <paramref name="offset"/> in the string section, without the NUL.</summary>
    internal ReadOnlySpan<byte> StringBytes(uint offset)
    {
        if (offset >= (uint)_stringsLength)
            ThrowHelper.Throw($"BTF string offset {offset} is outside the string section of {_stringsLength} bytes.");
        var span = _raw.AsSpan(_stringsStart + (int)offset, _stringsLength - (int)offset);
        var end = span.IndexOf((byte)0);
        return end < 0 ? span : span[..end]; // the section ends in NUL (checked in Parse), so end >= 0
    }

    /// <summary>The string at <paramref name="offset"/> in the string section.</summary>
    public string GetString(uint offset) => Encoding.UTF8.GetString(StringBytes(offset));

    internal uint NameOffset(int id) => id == 0 ? 0 : Word(TypeOffset(id));

    internal ReadOnlySpan<byte> NameBytes(int id) => id == 0 ? default : StringBytes(NameOffset(id));

    // ---- per-type accessors -----------------------------------------------------------------------------------

    /// <summary>Kind of a type; void for id 0.</summary>
    public BtfKind GetKind(int id) => id == 0 ? BtfKind.Void : (BtfKind)((Info(id) >> 24) & 0x1f);

    /// <summary>Name of a type; empty for anonymous types and void.</summary>
    public string GetName(int id) => id == 0 ? "" : Encoding.UTF8.GetString(NameBytes(id));

    /// <summary>The vlen field: members, enumerators, parameters or variables (the linkage for FUNC).</summary>
    public int GetVlen(int id) => id == 0 ? 0 : (int)(Info(id) & 0xffff);

    /// <summary>The kind_flag bit: bitfield encoding for structs, signedness for enums, union for FWD.</summary>
    public bool GetKindFlag(int id) => id != 0 && (Info(id) & 0x80000000u) != 0;

    /// <summary>The size field of INT, STRUCT, UNION, ENUM, ENUM64, DATASEC and FLOAT types.</summary>
    /// <exception cref="BpfObjectException">The kind has no size field.</exception>
    public uint GetSizeField(int id)
    {
        var kind = GetKind(id);
        if (kind is not (BtfKind.Int or BtfKind.Struct or BtfKind.Union or BtfKind.Enum or BtfKind.Enum64 or BtfKind.DataSec or BtfKind.Float))
            ThrowHelper.Throw($"BTF type {id} is a {kind}, which has no size field.");
        return Word(TypeOffset(id) + 8);
    }

    /// <summary>
    /// The type field of PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, DECL_TAG, FUNC (its FUNC_PROTO) and VAR;
    /// the return type of a FUNC_PROTO.
    /// </summary>
    /// <exception cref="BpfObjectException">The kind has no type field.</exception>
    public int GetReferencedTypeId(int id)
    {
        var kind = GetKind(id);
        if (kind is not (BtfKind.Pointer or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict
            or BtfKind.TypeTag or BtfKind.DeclTag or BtfKind.Func or BtfKind.Var or BtfKind.FuncProto))
            ThrowHelper.Throw($"BTF type {id} is a {kind}, which does not refer to another type.");
        return CheckedId(Word(TypeOffset(id) + 8), id);
    }

    private int CheckedId(uint value, int from)
    {
        if (value > (uint)TypeCount)
            ThrowHelper.Throw($"BTF type {from} refers to type id {value}, beyond the last type {TypeCount}.");
        return (int)value;
    }

    /// <summary>The encoding word of an INT.</summary>
    public BtfIntEncoding GetInt(int id)
    {
        Expect(id, BtfKind.Int);
        var word = Word(TypeOffset(id) + TypeHeaderSize);
        var encoding = (word >> 24) & 0x0f;
        return new BtfIntEncoding((encoding & 1) != 0, (encoding & 2) != 0, (encoding & 4) != 0, (word >> 16) & 0xff, word & 0xff);
    }

    /// <summary>The element type, index type and length of an ARRAY.</summary>
    public BtfArray GetArray(int id)
    {
        Expect(id, BtfKind.Array);
        var at = TypeOffset(id) + TypeHeaderSize;
        return new BtfArray(CheckedId(Word(at), id), CheckedId(Word(at + 4), id), Word(at + 8));
    }

    /// <summary>Member <paramref name="index"/> of a STRUCT or UNION, with the bitfield encoding resolved.</summary>
    public BtfMember GetMember(int id, int index)
    {
        var kind = GetKind(id);
        if (kind is not (BtfKind.Struct or BtfKind.Union))
            ThrowHelper.Throw($"BTF type {id} is a {kind}, not a struct or union.");
        var at = MemberRecord(id, index, 12);
        var offset = Word(at + 8);
        var bitfield = GetKindFlag(id);
        return new BtfMember(GetString(Word(at)), CheckedId(Word(at + 4), id),
            bitfield ? offset & 0xffffff : offset, bitfield ? offset >> 24 : 0);
    }

    /// <summary>Name offset, type and bit offset of a member without decoding its name (the CO-RE hot path).</summary>
    internal (uint NameOffset, int TypeId, uint BitOffset, uint BitfieldSize) GetMemberRaw(int id, int index)
    {
        var at = MemberRecord(id, index, 12);
        var offset = Word(at + 8);
        var bitfield = GetKindFlag(id);
        return (Word(at), CheckedId(Word(at + 4), id), bitfield ? offset & 0xffffff : offset, bitfield ? offset >> 24 : 0);
    }

    /// <summary>Enumerator <paramref name="index"/> of an ENUM or ENUM64.</summary>
    public BtfEnumValue GetEnumValue(int id, int index)
    {
        var kind = GetKind(id);
        if (kind == BtfKind.Enum)
        {
            var at = MemberRecord(id, index, 8);
            var raw = Word(at + 4);
            long value = GetKindFlag(id) ? (int)raw : raw;
            return new BtfEnumValue(GetString(Word(at)), value);
        }
        if (kind == BtfKind.Enum64)
        {
            var at = MemberRecord(id, index, 12);
            var value = (long)(((ulong)Word(at + 8) << 32) | Word(at + 4));
            return new BtfEnumValue(GetString(Word(at)), value);
        }
        return ThrowHelper.Throw<BtfEnumValue>($"BTF type {id} is a {kind}, not an enum.");
    }

    internal uint GetEnumNameOffset(int id, int index) => Word(MemberRecord(id, index, GetKind(id) == BtfKind.Enum ? 8 : 12));

    /// <summary>Parameter <paramref name="index"/> of a FUNC_PROTO: its name (often empty) and type.</summary>
    public (string Name, int TypeId) GetParameter(int id, int index)
    {
        Expect(id, BtfKind.FuncProto);
        var at = MemberRecord(id, index, 8);
        return (GetString(Word(at)), CheckedId(Word(at + 4), id));
    }

    /// <summary>Variable <paramref name="index"/> of a DATASEC.</summary>
    public BtfVarSecInfo GetVarSecInfo(int id, int index)
    {
        Expect(id, BtfKind.DataSec);
        var at = MemberRecord(id, index, 12);
        return new BtfVarSecInfo(CheckedId(Word(at), id), Word(at + 4), Word(at + 8));
    }

    /// <summary>The linkage of a VAR (0 static, 1 global, 2 extern) or FUNC (0 static, 1 global, 2 extern).</summary>
    public uint GetLinkage(int id)
    {
        var kind = GetKind(id);
        if (kind == BtfKind.Var)
            return Word(TypeOffset(id) + TypeHeaderSize);
        if (kind == BtfKind.Func)
            return (uint)GetVlen(id);
        return ThrowHelper.Throw<uint>($"BTF type {id} is a {kind}, which has no linkage.");
    }

    private int MemberRecord(int id, int index, int recordSize)
    {
        var vlen = GetVlen(id);
        if ((uint)index >= (uint)vlen)
            ThrowHelper.Throw($"Index {index} is out of range for BTF type {id}, which has {vlen} entries.");
        return TypeOffset(id) + TypeHeaderSize + index * recordSize;
    }

    private void Expect(int id, BtfKind kind)
    {
        var actual = GetKind(id);
        if (actual != kind)
            ThrowHelper.Throw($"BTF type {id} is a {actual}, not a {kind}.");
    }

    // ---- derived queries --------------------------------------------------------------------------------------

    /// <summary>Follows TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG to the underlying type.</summary>
    public int SkipQualifiers(int id)
    {
        for (var depth = 0; depth < MaxResolveDepth; depth++)
        {
            var kind = GetKind(id);
            if (kind is not (BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict or BtfKind.TypeTag))
                return id;
            id = GetReferencedTypeId(id);
        }
        return ThrowHelper.Throw<int>($"BTF type chain starting at {id} is deeper than {MaxResolveDepth} typedefs and qualifiers (a loop?).");
    }

    /// <summary>Follows only CONST, VOLATILE, RESTRICT and TYPE_TAG, keeping typedefs.</summary>
    internal int SkipModifiers(int id)
    {
        for (var depth = 0; depth < MaxResolveDepth; depth++)
        {
            var kind = GetKind(id);
            if (kind is not (BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict or BtfKind.TypeTag))
                return id;
            id = GetReferencedTypeId(id);
        }
        return ThrowHelper.Throw<int>($"BTF type chain starting at {id} is deeper than {MaxResolveDepth} qualifiers (a loop?).");
    }

    /// <summary>The size in bytes of a value of this type: arrays multiply, pointers are 8, typedefs and qualifiers are resolved.</summary>
    /// <exception cref="BpfObjectException">The type has no size (void, FUNC, FUNC_PROTO, FWD) or the size overflows 32 bits.</exception>
    public uint GetTypeSize(int id)
    {
        if (TryGetTypeSize(id, out var size))
            return size;
        return ThrowHelper.Throw<uint>($"BTF type {id} ({GetKind(id)} '{GetName(id)}') has no size.");
    }

    /// <summary>Like <see cref="GetTypeSize"/>, but returns false for types without a size.</summary>
    public bool TryGetTypeSize(int id, out uint size)
    {
        ulong multiplier = 1;
        for (var depth = 0; depth < MaxResolveDepth; depth++)
        {
            switch (GetKind(id))
            {
                case BtfKind.Int or BtfKind.Struct or BtfKind.Union or BtfKind.Enum or BtfKind.Enum64 or BtfKind.DataSec or BtfKind.Float:
                    var total = multiplier * GetSizeField(id);
                    size = (uint)total;
                    return total <= uint.MaxValue;
                case BtfKind.Pointer:
                    size = (uint)(multiplier * 8);
                    return multiplier * 8 <= uint.MaxValue;
                case BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict or BtfKind.TypeTag or BtfKind.Var:
                    id = GetReferencedTypeId(id);
                    break;
                case BtfKind.Array:
                    var array = GetArray(id);
                    multiplier *= array.Count;
                    if (multiplier > uint.MaxValue)
                    {
                        size = 0;
                        return false;
                    }
                    id = array.ElementTypeId;
                    break;
                default:
                    size = 0;
                    return false;
            }
        }
        size = 0;
        return false;
    }

    /// <summary>Finds a type by exact name and kind (the first one, in id order).</summary>
    public bool TryFindType(string name, BtfKind kind, out int id)
    {
        foreach (var candidate in Index.Find(this, Encoding.UTF8.GetBytes(name), exact: true))
        {
            if (GetKind(candidate) == kind)
            {
                id = candidate;
                return true;
            }
        }
        id = 0;
        return false;
    }

    /// <summary>All types with exactly this name, of any kind, in id order.</summary>
    public IReadOnlyList<int> FindTypes(string name) => Index.Find(this, Encoding.UTF8.GetBytes(name), exact: true);

    /// <summary>
    /// Types whose essential name (the name without a <c>___flavor</c> suffix) equals the essential name of
    /// <paramref name="name"/>: the CO-RE candidate set.
    /// </summary>
    internal List<int> FindByEssentialName(ReadOnlySpan<byte> name) => Index.Find(this, EssentialName(name), exact: false);

    /// <summary>
    /// The type a <c>tp_btf/&lt;name&gt;</c> program attaches to: the TYPEDEF <c>btf_trace_&lt;name&gt;</c> (whose id is
    /// BPF_PROG_LOAD's attach_btf_id), or a FUNC of that name on kernels that describe it so.
    /// </summary>
    public bool TryFindBtfTracepoint(string tracepoint, out int id) =>
        TryFindType("btf_trace_" + tracepoint, BtfKind.Typedef, out id) ||
        TryFindType("btf_trace_" + tracepoint, BtfKind.Func, out id);

    /// <summary>
    /// The bit offset of a member reached by a dotted path (<c>"real_parent"</c>, <c>"se.vruntime"</c>) from a struct
    /// or union, looking through anonymous struct/union members and typedefs on the way.
    /// </summary>
    public bool TryGetMemberOffset(int compositeId, string path, out uint bitOffset, out BtfMember member)
    {
        bitOffset = 0;
        member = default;
        var current = compositeId;
        foreach (var part in path.Split('.'))
        {
            current = SkipQualifiers(current);
            if (!TryFindMemberDeep(current, part, 0, out var offset, out member))
                return false;
            bitOffset += offset;
            current = member.TypeId;
        }
        return true;
    }

    private bool TryFindMemberDeep(int compositeId, string name, int depth, out uint bitOffset, out BtfMember member)
    {
        bitOffset = 0;
        member = default;
        var kind = GetKind(compositeId);
        if (depth > MaxResolveDepth || kind is not (BtfKind.Struct or BtfKind.Union))
            return false;
        var vlen = GetVlen(compositeId);
        for (var i = 0; i < vlen; i++)
        {
            var candidate = GetMember(compositeId, i);
            if (candidate.Name == name)
            {
                bitOffset = candidate.BitOffset;
                member = candidate;
                return true;
            }
            if (candidate.Name.Length == 0 &&
                TryFindMemberDeep(SkipQualifiers(candidate.TypeId), name, depth + 1, out var inner, out member))
            {
                bitOffset = candidate.BitOffset + inner;
                return true;
            }
        }
        return false;
    }

    /// <summary>The name without a CO-RE flavor suffix: <c>task_struct___v2</c> becomes <c>task_struct</c>.</summary>
    public static string EssentialName(string name)
    {
        var cut = name.IndexOf("___", StringComparison.Ordinal);
        return cut < 0 ? name : name[..cut];
    }

    internal static ReadOnlySpan<byte> EssentialName(ReadOnlySpan<byte> name)
    {
        var cut = name.IndexOf("___"u8);
        return cut < 0 ? name : name[..cut];
    }

    /// <inheritdoc />
    public override string ToString() => $"BTF with {TypeCount} types, {_stringsLength} bytes of strings";

    private NameIndex Index => _nameIndex ??= NameIndex.Build(this);

    [SuppressMessage("Performance", "CA1812", Justification = "Instantiated by Build.")]
    private sealed class NameIndex
    {
        private readonly int[] _slots;  // type ids, 0 = empty; open addressing with linear probing
        private readonly uint[] _hashes; // FNV-1a hash of the essential name of the id in the same slot
        private readonly int _mask;

        private NameIndex(int[] slots, uint[] hashes)
        {
            _slots = slots;
            _hashes = hashes;
            _mask = slots.Length - 1;
        }

        public static NameIndex Build(BtfSpec btf)
        {
            var capacity = 16;
            while (capacity < btf.TypeCount * 2)
                capacity <<= 1;
            var slots = new int[capacity];
            var hashes = new uint[capacity];
            var mask = capacity - 1;
            for (var id = 1; id <= btf.TypeCount; id++)
            {
                var name = btf.NameBytes(id);
                if (name.IsEmpty)
                    continue;
                var hash = Hash(EssentialName(name));
                var slot = (int)hash & mask;
                while (slots[slot] != 0)
                    slot = (slot + 1) & mask;
                slots[slot] = id;
                hashes[slot] = hash;
            }
            return new NameIndex(slots, hashes);
        }

        /// <summary>Ids whose full name (exact) or essential name (not exact) equals <paramref name="name"/>, in id order.</summary>
        public List<int> Find(BtfSpec btf, ReadOnlySpan<byte> name, bool exact)
        {
            var result = new List<int>();
            var essential = EssentialName(name);
            var hash = Hash(essential);
            for (var slot = (int)hash & _mask; _slots[slot] != 0; slot = (slot + 1) & _mask)
            {
                if (_hashes[slot] != hash)
                    continue;
                var id = _slots[slot];
                var candidate = btf.NameBytes(id);
                if (exact ? candidate.SequenceEqual(name) : EssentialName(candidate).SequenceEqual(essential))
                    result.Add(id);
            }
            result.Sort();
            return result;
        }

        private static uint Hash(ReadOnlySpan<byte> bytes)
        {
            var hash = 2166136261u;
            foreach (var b in bytes)
                hash = (hash ^ b) * 16777619u;
            return hash;
        }
    }
}
