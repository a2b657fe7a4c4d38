using System.Buffers.Binary;
using System.Text;
using OsqueryBpf.Bpf.Object.Btf;

namespace OsqueryBpf.Bpf.Object.Tests;

/// <summary>Writes small BTF blobs by hand, for kinds and corner cases clang 14 does not produce.</summary>
internal sealed class BtfBuilder
{
    private readonly List<byte> _types = [];
    private readonly List<byte> _strings = [0];
    private int _count;

    public uint Name(string name)
    {
        if (name.Length == 0)
            return 0;
        var offset = (uint)_strings.Count;
        _strings.AddRange(Encoding.UTF8.GetBytes(name));
        _strings.Add(0);
        return offset;
    }

    /// <summary>Adds a type header plus extra words; returns its id.</summary>
    public int Add(string name, BtfKind kind, int vlen, bool kindFlag, uint sizeOrType, params uint[] extra)
    {
        Word(Name(name));
        Word(((uint)kind << 24) | (uint)vlen | (kindFlag ? 0x80000000u : 0));
        Word(sizeOrType);
        foreach (var word in extra)
            Word(word);
        return ++_count;
    }

    public byte[] Build()
    {
        var blob = new byte[24 + _types.Count + _strings.Count];
        BinaryPrimitives.WriteUInt16LittleEndian(blob, BtfSpec.Magic);
        blob[2] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), 24);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), (uint)_types.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(16), (uint)_types.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(20), (uint)_strings.Count);
        _types.CopyTo(blob, 24);
        _strings.CopyTo(blob, 24 + _types.Count);
        return blob;
    }

    private void Word(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        _types.AddRange(bytes.ToArray());
    }
}
