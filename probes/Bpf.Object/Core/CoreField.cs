namespace OsqueryBpf.Bpf.Object.Core;

/// <summary>Where an accessor chain ends: its bit offset from the root, the field's type and bitfield width.</summary>
internal readonly record struct CoreField(ulong BitOffset, int TypeId, uint BitfieldSize)
{
    public bool IsBitfield => BitfieldSize != 0;
}
