using System.Buffers.Binary;
using System.Text;

namespace OsqueryBpf.Tls.Tests;

/// <summary>
/// Writes ClientHellos and ServerHellos field by field, for tests that need a hello with given contents or a
/// given defect. Lengths are computed unless a test overrides them to forge a bad one.
/// </summary>
internal sealed class HelloBuilder
{
    public ushort LegacyVersion = 0x0303;
    public byte[] Random = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    public byte[] SessionId = [];
    public List<ushort> CipherSuites = [0x1301, 0x1302, 0xC02B];
    public byte[] Compression = [0];
    public bool OmitExtensions;
    public readonly List<(ushort Type, byte[] Data)> Extensions = [];

    public HelloBuilder Extension(ushort type, byte[] data)
    {
        Extensions.Add((type, data));
        return this;
    }

    public HelloBuilder ServerName(string name) => ServerName(Encoding.ASCII.GetBytes(name));

    public HelloBuilder ServerName(byte[] name) =>
        Extension(0, [.. U16(name.Length + 3), 0, .. U16(name.Length), .. name]);

    public HelloBuilder Alpn(params string[] protocols) => AlpnBytes(protocols.Select(Encoding.ASCII.GetBytes).ToArray());

    public HelloBuilder AlpnBytes(params byte[][] protocols)
    {
        var list = protocols.SelectMany(p => new[] { (byte)p.Length }.Concat(p)).ToArray();
        return Extension(16, [.. U16(list.Length), .. list]);
    }

    public HelloBuilder SupportedVersions(params ushort[] versions) =>
        Extension(43, [(byte)(versions.Length * 2), .. versions.SelectMany(U16)]);

    public HelloBuilder SignatureAlgorithms(params ushort[] algorithms) => Extension(13, U16Vector(algorithms));

    public HelloBuilder SupportedGroups(params ushort[] groups) => Extension(10, U16Vector(groups));

    public HelloBuilder EcPointFormats(params byte[] formats) => Extension(11, [(byte)formats.Length, .. formats]);

    /// <summary>The ClientHello handshake message: type 1, 3-byte length, body.</summary>
    public byte[] ClientHelloMessage() => Message(1, ClientBody());

    /// <summary>The ClientHello in one handshake record.</summary>
    public byte[] ClientHelloRecord(ushort recordVersion = 0x0301) => Records(ClientHelloMessage(), int.MaxValue, recordVersion);

    public byte[] ClientBody()
    {
        var body = new List<byte>();
        body.AddRange(U16(LegacyVersion));
        body.AddRange(Random);
        body.Add((byte)SessionId.Length);
        body.AddRange(SessionId);
        body.AddRange(U16(CipherSuites.Count * 2));
        body.AddRange(CipherSuites.SelectMany(U16));
        body.Add((byte)Compression.Length);
        body.AddRange(Compression);
        AddExtensions(body);
        return [.. body];
    }

    /// <summary>A ServerHello body choosing <paramref name="cipher"/>, with this builder's extensions.</summary>
    public byte[] ServerHelloMessage(ushort cipher)
    {
        var body = new List<byte>();
        body.AddRange(U16(LegacyVersion));
        body.AddRange(Random);
        body.Add((byte)SessionId.Length);
        body.AddRange(SessionId);
        body.AddRange(U16(cipher));
        body.Add(0);
        AddExtensions(body);
        return Message(2, [.. body]);
    }

    private void AddExtensions(List<byte> body)
    {
        if (OmitExtensions)
            return;
        var extensions = Extensions.SelectMany(e => U16(e.Type).Concat(U16(e.Data.Length)).Concat(e.Data)).ToArray();
        body.AddRange(U16(extensions.Length));
        body.AddRange(extensions);
    }

    public static byte[] Message(byte type, byte[] body) =>
        [type, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];

    /// <summary>Splits a handshake message into records of at most <paramref name="fragment"/> bytes each.</summary>
    public static byte[] Records(byte[] message, int fragment, ushort version = 0x0301, byte contentType = 22)
    {
        var records = new List<byte>();
        for (int at = 0; at < message.Length; at += fragment)
        {
            int n = Math.Min(fragment, message.Length - at);
            records.Add(contentType);
            records.AddRange(U16(version));
            records.AddRange(U16(n));
            records.AddRange(message.AsSpan(at, n).ToArray());
        }
        return [.. records];
    }

    public static byte[] U16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }

    public static byte[] U16(ushort value) => U16((int)value);

    private static byte[] U16Vector(ushort[] values) => [.. U16(values.Length * 2), .. values.SelectMany(U16)];
}
