using System.Security.Cryptography;
using System.Text;

namespace OsqueryBpf.Tls.Tests;

/// <summary>
/// A second JA4, written separately from the product's and as plainly as possible (strings, LINQ, the framework's
/// SHA-256, exceptions on anything unexpected), from the raw bytes of a well-formed TLS stream. Tests compare the
/// two on real ClientHellos.
/// </summary>
internal static class IndependentJa4
{
    public static string FromStream(byte[] stream)
    {
        // Records: type 22, version, length, fragment; concatenate fragments until the first message is complete.
        var message = new List<byte>();
        int at = 0;
        while (message.Count < 4 || message.Count < 4 + ((message[1] << 16) | (message[2] << 8) | message[3]))
        {
            if (stream[at] != 22)
                throw new InvalidDataException("not a handshake record");
            int length = (stream[at + 3] << 8) | stream[at + 4];
            message.AddRange(stream.Skip(at + 5).Take(length));
            at += 5 + length;
        }
        var m = message.ToArray();
        if (m[0] != 1)
            throw new InvalidDataException("not a ClientHello");

        int p = 4;
        int Read16() { int v = (m[p] << 8) | m[p + 1]; p += 2; return v; }
        int legacyVersion = Read16();
        p += 32;
        p += 1 + m[p];
        int cipherBytes = Read16();
        var ciphers = new List<int>();
        for (int i = 0; i < cipherBytes / 2; i++)
            ciphers.Add(Read16());
        p += 1 + m[p];
        var extensions = new List<int>();
        var signatures = new List<int>();
        var versions = new List<int>();
        byte[]? firstAlpn = null;
        int end = p + 2 + ((m[p] << 8) | m[p + 1]);
        p += 2;
        while (p < end)
        {
            int type = Read16();
            int length = Read16();
            var data = m.Skip(p).Take(length).ToArray();
            p += length;
            extensions.Add(type);
            if (type == 13)
                for (int i = 2; i < data.Length; i += 2) signatures.Add((data[i] << 8) | data[i + 1]);
            if (type == 43)
                for (int i = 1; i < data.Length; i += 2) versions.Add((data[i] << 8) | data[i + 1]);
            if (type == 16)
                firstAlpn = data.Skip(3).Take(data[2]).ToArray();
        }

        static bool Grease(int v) => (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
        ciphers = ciphers.Where(c => !Grease(c)).ToList();
        extensions = extensions.Where(e => !Grease(e)).ToList();
        signatures = signatures.Where(s => !Grease(s)).ToList();
        int version = extensions.Contains(43) ? versions.Where(v => !Grease(v)).Max() : legacyVersion;
        string versionText = version switch
        {
            0x0304 => "13", 0x0303 => "12", 0x0302 => "11", 0x0301 => "10", 0x0300 => "s3", _ => "00",
        };
        string alpnText = "00";
        if (firstAlpn is { Length: > 0 })
        {
            char first = (char)firstAlpn[0], last = (char)firstAlpn[^1];
            string hex = Convert.ToHexString(firstAlpn).ToLowerInvariant();
            alpnText = char.IsAsciiLetterOrDigit(first) && char.IsAsciiLetterOrDigit(last) ? $"{first}{last}" : $"{hex[0]}{hex[^1]}";
        }
        string a = $"t{versionText}{(extensions.Contains(0) ? 'd' : 'i')}{Math.Min(ciphers.Count, 99):D2}{Math.Min(extensions.Count, 99):D2}{alpnText}";
        string cipherList = string.Join(",", ciphers.OrderBy(c => c).Select(c => c.ToString("x4")));
        string extensionList = string.Join(",", extensions.Where(e => e != 0 && e != 16).OrderBy(e => e).Select(e => e.ToString("x4")));
        if (signatures.Count > 0)
            extensionList += "_" + string.Join(",", signatures.Select(s => s.ToString("x4")));
        return $"{a}_{Hash12(cipherList)}_{Hash12(extensionList)}";
    }

    private static string Hash12(string text) =>
        text.Length == 0 ? "000000000000" : Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(text)))[..12].ToLowerInvariant();
}
