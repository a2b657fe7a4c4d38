using System.Text;

namespace OsqueryBpf.KernelMatrix;

/// <summary>
/// Writes the "newc" cpio format the kernel unpacks as an initramfs
/// (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII header of
/// "070701" and 13 eight-digit hex fields, the NUL-terminated name, the data, each padded to 4 bytes; a
/// "TRAILER!!!" entry ends the archive. Uncompressed, so a TCG guest spends no time inflating it.
/// </summary>
internal sealed class CpioArchive : IDisposable
{
    private const int S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000;
    private readonly Stream _output;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private uint _inode = 1;

    public CpioArchive(Stream output) => _output = output;

    /// <summary>A directory, and its parents when they are not in the archive yet.</summary>
    public void Directory(string path, int mode = 0x1ED) // 0755
    {
        var name = Normalize(path);
        if (name.Length == 0 || _names.Contains(name))
            return;
        if (Path.GetDirectoryName(name) is { Length: > 0 } parent)
            Directory(parent);
        Entry(name, S_IFDIR | mode, []);
    }

    /// <summary>A regular file with the given contents (its parent folders are added as needed).</summary>
    public void File(string path, ReadOnlySpan<byte> contents, int mode = 0x1A4) // 0644
    {
        var name = Normalize(path);
        if (Path.GetDirectoryName(name) is { Length: > 0 } parent)
            Directory(parent);
        Entry(name, S_IFREG | mode, contents);
    }

    /// <summary>A symbolic link to <paramref name="target"/>.</summary>
    public void Symlink(string path, string target)
    {
        var name = Normalize(path);
        if (Path.GetDirectoryName(name) is { Length: > 0 } parent)
            Directory(parent);
        Entry(name, S_IFLNK | 0x1FF, Encoding.UTF8.GetBytes(target));
    }

    public bool Contains(string path) => _names.Contains(Normalize(path));

    private void Entry(string name, int mode, ReadOnlySpan<byte> data)
    {
        if (!_names.Add(name) && name != "TRAILER!!!")
            throw new InvalidOperationException($"'{name}' is in the archive twice.");
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var header = new StringBuilder("070701");
        foreach (var field in new uint[] { _inode++, (uint)mode, 0, 0, (mode & S_IFDIR) != 0 ? 2u : 1u, 0, (uint)data.Length, 0, 0, 0, 0, (uint)nameBytes.Length, 0 })
            header.Append(field.ToString("x8"));
        _output.Write(Encoding.ASCII.GetBytes(header.ToString()));
        _output.Write(nameBytes);
        Pad(110 + nameBytes.Length);
        _output.Write(data);
        Pad(data.Length);
    }

    private void Pad(int length)
    {
        var padding = (4 - length % 4) % 4;
        for (var i = 0; i < padding; i++)
            _output.WriteByte(0);
    }

    private static string Normalize(string path) => path.Trim('/');

    /// <summary>Writes the trailer; the archive is complete after this.</summary>
    public void Dispose()
    {
        Entry("TRAILER!!!", 0, []);
        _output.Flush();
    }
}
