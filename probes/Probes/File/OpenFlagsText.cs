using System.Text;

namespace OsqueryBpf.Probes;

/// <summary>Symbolic text for open(2) flags and the AT_*/RENAME_* flags of the *at syscalls (x86_64 values).</summary>
public static class OpenFlagsText
{
    private static readonly (uint Bit, string Name)[] OpenBits =
    [
        (0x40, "O_CREAT"),
        (0x80, "O_EXCL"),
        (0x100, "O_NOCTTY"),
        (0x200, "O_TRUNC"),
        (0x400, "O_APPEND"),
        (0x800, "O_NONBLOCK"),
        (0x101000, "O_SYNC"), // __O_SYNC | O_DSYNC; tested before O_DSYNC
        (0x1000, "O_DSYNC"),
        (0x2000, "O_ASYNC"),
        (0x4000, "O_DIRECT"),
        (0x8000, "O_LARGEFILE"),
        (0x410000, "O_TMPFILE"), // __O_TMPFILE | O_DIRECTORY; tested before O_DIRECTORY
        (0x10000, "O_DIRECTORY"),
        (0x20000, "O_NOFOLLOW"),
        (0x40000, "O_NOATIME"),
        (0x80000, "O_CLOEXEC"),
        (0x200000, "O_PATH"),
    ];

    private static readonly (uint Bit, string Name)[] AtBits =
    [
        (0x100, "AT_SYMLINK_NOFOLLOW"),
        (0x200, "AT_REMOVEDIR"),
        (0x400, "AT_SYMLINK_FOLLOW"),
        (0x800, "AT_NO_AUTOMOUNT"),
        (0x1000, "AT_EMPTY_PATH"),
    ];

    private static readonly (uint Bit, string Name)[] RenameBits =
    [
        (0x1, "RENAME_NOREPLACE"),
        (0x2, "RENAME_EXCHANGE"),
        (0x4, "RENAME_WHITEOUT"),
    ];

    /// <summary>
    /// Open flags as <c>O_WRONLY|O_CREAT|O_TRUNC</c>: the access mode first (always present), then the other
    /// bits in ascending order; unknown bits as a trailing hex number (<c>0x...</c>).
    /// </summary>
    public static string FormatOpen(uint flags)
    {
        var text = new StringBuilder(48);
        text.Append((flags & 3) switch
        {
            0 => "O_RDONLY",
            1 => "O_WRONLY",
            2 => "O_RDWR",
            _ => "O_ACCMODE",
        });
        uint rest = flags & ~3u;
        foreach (var (bit, name) in OpenBits)
        {
            if ((rest & bit) == bit)
            {
                text.Append('|').Append(name);
                rest &= ~bit;
            }
        }
        if (rest != 0)
            text.Append("|0x").Append(rest.ToString("x"));
        return text.ToString();
    }

    /// <summary>AT_* flags (unlinkat, fchownat, linkat, fchmodat2) as symbols, empty for 0.</summary>
    public static string FormatAt(uint flags) => FormatBits(flags, AtBits);

    /// <summary>renameat2 flags as symbols, empty for 0.</summary>
    public static string FormatRename(uint flags) => FormatBits(flags, RenameBits);

    private static string FormatBits(uint flags, (uint Bit, string Name)[] bits)
    {
        if (flags == 0)
            return "";
        var text = new StringBuilder(32);
        foreach (var (bit, name) in bits)
        {
            if ((flags & bit) == bit)
            {
                if (text.Length > 0)
                    text.Append('|');
                text.Append(name);
                flags &= ~bit;
            }
        }
        if (flags != 0)
        {
            if (text.Length > 0)
                text.Append('|');
            text.Append("0x").Append(flags.ToString("x"));
        }
        return text.ToString();
    }
}
