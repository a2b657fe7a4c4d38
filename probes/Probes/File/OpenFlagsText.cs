using System.Runtime.InteropServices;
using System.Text;

namespace OsqueryBpf.Probes;

/// <summary>
/// Symbolic text for open(2) flags and the AT_*/RENAME_* flags of the *at syscalls. Four open flags have other
/// values on arm64 than on x86_64 (which uses asm-generic/fcntl.h; arm64 keeps 32-bit ARM's values): the flags are
/// the kernel's, so they are read with the values of the architecture the extension, and so the kernel, runs on.
/// </summary>
public static class OpenFlagsText
{
    private static readonly (uint Bit, string Name)[] X64OpenBits =
        OpenBits(direct: 0x4000, largeFile: 0x8000, directory: 0x10000, noFollow: 0x20000);

    private static readonly (uint Bit, string Name)[] Arm64OpenBits =
        OpenBits(directory: 0x4000, noFollow: 0x8000, direct: 0x10000, largeFile: 0x20000);

    /// <summary>The open flags by the lowest bit each sets; a flag made of two bits comes before its lower part.</summary>
    private static (uint Bit, string Name)[] OpenBits(uint direct, uint largeFile, uint directory, uint noFollow) =>
        new (uint Bit, string Name)[]
        {
            (0x40, "O_CREAT"),
            (0x80, "O_EXCL"),
            (0x100, "O_NOCTTY"),
            (0x200, "O_TRUNC"),
            (0x400, "O_APPEND"),
            (0x800, "O_NONBLOCK"),
            (0x101000, "O_SYNC"), // __O_SYNC | O_DSYNC; tested before O_DSYNC
            (0x1000, "O_DSYNC"),
            (0x2000, "O_ASYNC"),
            (direct, "O_DIRECT"),
            (largeFile, "O_LARGEFILE"),
            (0x400000 | directory, "O_TMPFILE"), // __O_TMPFILE | O_DIRECTORY; tested before O_DIRECTORY
            (directory, "O_DIRECTORY"),
            (noFollow, "O_NOFOLLOW"),
            (0x40000, "O_NOATIME"),
            (0x80000, "O_CLOEXEC"),
            (0x200000, "O_PATH"),
        }.OrderBy(b => b.Bit & (~b.Bit + 1)).ToArray(); // OrderBy is stable: O_SYNC and O_TMPFILE stay first

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

    /// <summary>Open flags with the values of the architecture this process runs on; see <see cref="FormatOpen(uint, Architecture)"/>.</summary>
    public static string FormatOpen(uint flags) => FormatOpen(flags, RuntimeInformation.ProcessArchitecture);

    /// <summary>
    /// Open flags as <c>O_WRONLY|O_CREAT|O_TRUNC</c>: the access mode first (always present), then the other
    /// bits in ascending order; unknown bits as a trailing hex number (<c>0x...</c>). Values are
    /// <paramref name="architecture"/>'s: arm64's, else x86_64's (the generic ones).
    /// </summary>
    public static string FormatOpen(uint flags, Architecture architecture)
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
        foreach (var (bit, name) in architecture == Architecture.Arm64 ? Arm64OpenBits : X64OpenBits)
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
