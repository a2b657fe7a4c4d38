using System.Buffers.Binary;
using System.Text;

namespace OsqueryBpf.Dns.Tests;

/// <summary>
/// Writes DNS messages byte by byte for tests: header, questions and records with optional name
/// compression, counts filled in from what was written unless a test overrides them, and raw bytes for
/// building broken messages on purpose.
/// </summary>
internal sealed class DnsMessageBuilder
{
    private readonly List<byte> _bytes = new(512);
    private readonly Dictionary<string, int> _nameOffsets = new(StringComparer.OrdinalIgnoreCase);
    private readonly int[] _counts = new int[4];
    private int[]? _countOverride;

    public DnsMessageBuilder(ushort id = 0x1234, ushort flags = 0x0100)
    {
        U16(id);
        U16(flags);
        for (var i = 0; i < 4; i++)
            U16(0);
    }

    /// <summary>Compress names against earlier ones (on by default).</summary>
    public bool Compress { get; set; } = true;

    public int Position => _bytes.Count;

    public DnsMessageBuilder Counts(int questions, int answers, int authorities, int additionals)
    {
        _countOverride = [questions, answers, authorities, additionals];
        return this;
    }

    public DnsMessageBuilder Question(string name, ushort type, ushort cls = 1)
    {
        Name(name);
        U16(type);
        U16(cls);
        _counts[0]++;
        return this;
    }

    public DnsMessageBuilder Answer(string name, ushort type, uint ttl, Action<DnsMessageBuilder> data, ushort cls = 1) =>
        Record(1, name, type, ttl, data, cls);

    public DnsMessageBuilder Authority(string name, ushort type, uint ttl, Action<DnsMessageBuilder> data, ushort cls = 1) =>
        Record(2, name, type, ttl, data, cls);

    public DnsMessageBuilder Additional(string name, ushort type, uint ttl, Action<DnsMessageBuilder> data, ushort cls = 1) =>
        Record(3, name, type, ttl, data, cls);

    /// <summary>An EDNS OPT record in the additional section.</summary>
    public DnsMessageBuilder Opt(ushort udpSize, byte extendedRcode = 0, bool dnssecOk = false, Action<DnsMessageBuilder>? options = null)
    {
        U8(0); // root
        U16(41);
        U16(udpSize);
        U32(((uint)extendedRcode << 24) | (dnssecOk ? 0x8000u : 0));
        var lengthAt = Position;
        U16(0);
        options?.Invoke(this);
        PatchU16(lengthAt, Position - lengthAt - 2);
        _counts[3]++;
        return this;
    }

    private DnsMessageBuilder Record(int section, string name, ushort type, uint ttl, Action<DnsMessageBuilder> data, ushort cls)
    {
        Name(name);
        U16(type);
        U16(cls);
        U32(ttl);
        var lengthAt = Position;
        U16(0);
        data(this);
        PatchU16(lengthAt, Position - lengthAt - 2);
        _counts[section]++;
        return this;
    }

    /// <summary>Writes a dotted name ("." is the root), compressed against earlier names when enabled.</summary>
    public DnsMessageBuilder Name(string name)
    {
        var labels = name == "." ? [] : name.TrimEnd('.').Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            var suffix = string.Join('.', labels[i..]);
            if (Compress && _nameOffsets.TryGetValue(suffix, out var offset))
            {
                Pointer(offset);
                return this;
            }
            if (Position < 0x3FFF)
                _nameOffsets.TryAdd(suffix, Position);
            Label(Encoding.ASCII.GetBytes(labels[i]));
        }
        U8(0);
        return this;
    }

    /// <summary>Writes a name from raw labels (any bytes), uncompressed.</summary>
    public DnsMessageBuilder RawName(params byte[][] labels)
    {
        foreach (var label in labels)
            Label(label);
        U8(0);
        return this;
    }

    public DnsMessageBuilder Label(ReadOnlySpan<byte> label)
    {
        U8((byte)label.Length);
        Bytes(label);
        return this;
    }

    public DnsMessageBuilder Pointer(int offset)
    {
        U16((ushort)(0xC000 | offset));
        return this;
    }

    public DnsMessageBuilder CharacterString(string text) => CharacterString(Encoding.UTF8.GetBytes(text));

    public DnsMessageBuilder CharacterString(byte[] text)
    {
        U8((byte)text.Length);
        Bytes(text);
        return this;
    }

    public DnsMessageBuilder U8(byte value)
    {
        _bytes.Add(value);
        return this;
    }

    public DnsMessageBuilder U16(int value)
    {
        _bytes.Add((byte)(value >> 8));
        _bytes.Add((byte)value);
        return this;
    }

    public DnsMessageBuilder U32(uint value)
    {
        U16((ushort)(value >> 16));
        return U16((ushort)value);
    }

    public DnsMessageBuilder Bytes(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
            _bytes.Add(b);
        return this;
    }

    public DnsMessageBuilder Address(string address) =>
        Bytes(System.Net.IPAddress.Parse(address).GetAddressBytes());

    public byte[] Build()
    {
        var counts = _countOverride ?? _counts;
        var message = _bytes.ToArray();
        for (var i = 0; i < 4; i++)
            BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4 + 2 * i), (ushort)counts[i]);
        return message;
    }

    private void PatchU16(int at, int value)
    {
        _bytes[at] = (byte)(value >> 8);
        _bytes[at + 1] = (byte)value;
    }
}
