namespace OsqueryBpf.Probes.Decoding;

/// <summary>
/// Remembers the last few decoded texts of one kind (executables, working directories), which repeat from
/// event to event in a burst, so that a repeat costs a byte comparison instead of a new string.
/// Not thread-safe, like the decoder that owns it.
/// </summary>
internal sealed class RecentTexts
{
    private const int Slots = 8;
    private readonly byte[][] _bytes = new byte[Slots][];
    private readonly string[] _texts = new string[Slots];
    private readonly EscapedText _text;
    private int _next;

    public RecentTexts(EscapedText text)
    {
        _text = text;
        for (int i = 0; i < Slots; i++)
        {
            _bytes[i] = [];
            _texts[i] = "";
        }
    }

    /// <summary>The text of <paramref name="bytes"/>, from the recent ones when it is one of them.</summary>
    public string Get(ReadOnlySpan<byte> bytes)
    {
        for (int i = 0; i < Slots; i++)
        {
            if (bytes.SequenceEqual(_bytes[i]))
                return _texts[i];
        }
        var text = _text.Decode(bytes);
        _bytes[_next] = bytes.ToArray();
        _texts[_next] = text;
        _next = (_next + 1) % Slots;
        return text;
    }
}
