namespace OsqueryBpf.Bpf.Object.Core;

/// <summary>CO-RE relocation kinds with the values of <c>enum bpf_core_relo_kind</c> (include/uapi/linux/bpf.h).</summary>
public enum CoreRelocationKind : uint
{
    /// <summary>BPF_CORE_FIELD_BYTE_OFFSET: byte offset of a field.</summary>
    FieldByteOffset = 0,
    /// <summary>BPF_CORE_FIELD_BYTE_SIZE: size of a field (of the load for bitfields).</summary>
    FieldByteSize = 1,
    /// <summary>BPF_CORE_FIELD_EXISTS: 1 if the field exists in the target, else 0.</summary>
    FieldExists = 2,
    /// <summary>BPF_CORE_FIELD_SIGNED: 1 if the field is a signed integer or signed enum.</summary>
    FieldSigned = 3,
    /// <summary>BPF_CORE_FIELD_LSHIFT_U64: left shift that isolates a bitfield in a u64.</summary>
    FieldLShiftU64 = 4,
    /// <summary>BPF_CORE_FIELD_RSHIFT_U64: right shift that isolates a bitfield in a u64.</summary>
    FieldRShiftU64 = 5,
    /// <summary>BPF_CORE_TYPE_ID_LOCAL: the type's id in the object's own BTF.</summary>
    TypeIdLocal = 6,
    /// <summary>BPF_CORE_TYPE_ID_TARGET: the matching type's id in the target BTF.</summary>
    TypeIdTarget = 7,
    /// <summary>BPF_CORE_TYPE_EXISTS: 1 if a compatible type exists in the target.</summary>
    TypeExists = 8,
    /// <summary>BPF_CORE_TYPE_SIZE: size of the matching target type.</summary>
    TypeSize = 9,
    /// <summary>BPF_CORE_ENUMVAL_EXISTS: 1 if the enumerator exists in the target.</summary>
    EnumValueExists = 10,
    /// <summary>BPF_CORE_ENUMVAL_VALUE: the enumerator's value in the target.</summary>
    EnumValue = 11,
    /// <summary>BPF_CORE_TYPE_MATCHES: 1 if the target type matches the local one's shape.</summary>
    TypeMatches = 12,
}
