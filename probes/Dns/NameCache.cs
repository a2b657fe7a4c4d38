using System.Runtime.CompilerServices;

namespace OsqueryBpf.Dns;

/// <summary>
/// Names already decoded in the current message, by the offset where their labels start. A compressed name
/// that is just a pointer (an answer's <c>c0 0c</c> back to the question) then reuses the same string instead
/// of decoding and allocating it again. Fixed size, on the stack, replaced round-robin.
/// </summary>
internal struct NameCache
{
    private const int Size = 16;

    private Offsets _offsets;
    private WireLengths _wireLengths;
    private WireLengths _hops;
    private Names _names;
    private int _count;
    private int _next;

    /// <summary>Finds the name whose labels start at <paramref name="offset"/>, with its wire length and the
    /// pointers its decoding followed (so limits apply the same with or without the cache).</summary>
    public bool TryGet(int offset, out string name, out int wireLength, out int hops)
    {
        for (var i = 0; i < _count; i++)
        {
            if (_offsets[i] == offset)
            {
                name = _names[i]!;
                wireLength = _wireLengths[i];
                hops = _hops[i];
                return true;
            }
        }
        name = "";
        wireLength = 0;
        hops = 0;
        return false;
    }

    public void Add(int offset, string name, int wireLength, int hops)
    {
        _offsets[_next] = offset;
        _names[_next] = name;
        _wireLengths[_next] = wireLength;
        _hops[_next] = hops;
        _next = (_next + 1) % Size;
        if (_count < Size)
            _count++;
    }

    [InlineArray(Size)]
    private struct Offsets { private int _element; }

    [InlineArray(Size)]
    private struct WireLengths { private int _element; }

    [InlineArray(Size)]
    private struct Names { private string? _element; }
}
