using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace OsqueryBpf.KernelMatrix;

/// <summary>
/// The initramfs every guest boots: busybox, our /init, the published extension, the guest program, dnsmasq,
/// the shared libraries each of them needs, and a minimal /etc. Nothing is installed from the kernel package:
/// the guest needs no modules (no devices beyond the serial ports). The libraries are this machine's (ldd) for
/// a guest of its architecture, else those of an unpacked Debian root of the guest's (DT_NEEDED, read with
/// readelf, which reads any architecture's ELF files).
/// </summary>
internal static partial class GuestImage
{
    public const string ExtensionPath = "/opt/osquery-bpf/osquery-bpf.ext";
    public const string GuestPath = "/opt/kmatrix/kmatrix-guest";
    public const string DnsmasqPath = "/usr/sbin/dnsmasq";

    /// <summary>Writes the image to <paramref name="output"/>.</summary>
    public static void Build(GuestArchitecture arch, GuestPrograms programs, string output)
    {
        if (programs.Arch != arch)
            throw new ArgumentException($"The programs are for {programs.Arch}, the image for {arch}.");
        if (programs.LibraryRoot is null && GuestArchitecture.Host != arch)
            throw new NotSupportedException($"A {arch} guest image needs {arch} libraries; this host is {GuestArchitecture.Host?.Name ?? "another architecture"} and only takes its own from ldd.");
        if (programs.Missing() is { } missing)
            throw new FileNotFoundException(missing);

        using (var stream = new FileStream(output + ".partial", FileMode.Create, FileAccess.Write))
        using (var archive = new CpioArchive(stream))
        {
            foreach (var dir in new[] { "bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "run", "etc", "root" })
                archive.Directory(dir);
            archive.File("init", Encoding.UTF8.GetBytes(InitScript(arch)), 0x1ED);
            archive.File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"u8);
            archive.File("etc/group", "root:x:0:\nnogroup:x:65534:\n"u8);

            var binaries = new List<(string Host, string Guest)>
            {
                (programs.Busybox, "/bin/busybox"), // busybox-static needs no libraries; a dynamic one gets its own
                (programs.Extension, ExtensionPath),
                (programs.Guest, GuestPath),
            };
            // Whatever shared library is published beside the extension (today libe_sqlite3.so, loaded with dlopen).
            foreach (var library in Directory.GetFiles(Path.GetDirectoryName(Path.GetFullPath(programs.Extension))!, "*.so"))
                binaries.Add((library, Path.GetDirectoryName(ExtensionPath) + "/" + Path.GetFileName(library)));
            if (programs.Dnsmasq is not null)
                binaries.Add((programs.Dnsmasq, DnsmasqPath));
            foreach (var (host, guest) in binaries)
            {
                // A binary of another architecture would only fail inside the guest, as "exec format error".
                var machine = ElfMachine(host);
                if (machine != arch.ElfMachine)
                    throw new InvalidOperationException($"{host} is not an {arch} binary (ELF machine {machine}, expected {arch.ElfMachine}).");
                archive.File(guest, File.ReadAllBytes(host), 0x1ED);
            }
            var libraries = programs.LibraryRoot is { } root
                ? binaries.SelectMany(b => LibrariesInRoot(b.Host, root, arch))
                : binaries.SelectMany(b => SharedLibraries(b.Host)).Select(l => (Guest: l, Host: l));
            foreach (var library in libraries.DistinctBy(l => l.Guest, StringComparer.Ordinal))
            {
                if (!archive.Contains(library.Guest))
                    archive.File(library.Guest, File.ReadAllBytes(library.Host), 0x1ED);
            }
        }
        File.Move(output + ".partial", output, overwrite: true);
    }

    /// <summary>The /init script with this architecture's report port and settle timeout filled in.</summary>
    public static string InitScript(GuestArchitecture arch)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("init")
            ?? throw new InvalidOperationException("The init script is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("@REPORT@", arch.ReportDevice, StringComparison.Ordinal)
            .Replace("@SETTLE@", arch.SettleTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>
    /// The libraries the dynamic loader would map for <paramref name="binary"/> in a guest whose files are those
    /// of <paramref name="root"/>, the loader included, each as (path in the guest, file on this machine): the
    /// ELF interpreter, then every DT_NEEDED name, recursively, found in the root's library folders in the order
    /// the loader searches them. Symbolic links are followed inside the root (an unpacked root's absolute links
    /// name its own files, not this machine's). A name that is not there is an error, not a guest that dies.
    /// </summary>
    public static IReadOnlyList<(string Guest, string Host)> LibrariesInRoot(string binary, string root, GuestArchitecture arch)
    {
        string[] folders = [$"/lib/{arch.Triplet}", $"/usr/lib/{arch.Triplet}", "/lib", "/usr/lib"];
        var found = new List<(string Guest, string Host)>();
        // NEEDED names already served; the loader's own name (ld-linux-aarch64.so.1, NEEDED too) is its file's.
        var served = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<(string File, string Needed)>();
        void Read(string file)
        {
            var (interpreter, needed) = DynamicSection(file);
            if (interpreter is not null && served.Add(Path.GetFileName(interpreter)))
                found.Add((interpreter, InsideRoot(root, interpreter) ?? throw new FileNotFoundException($"{file} needs the loader {interpreter}, which {root} does not have.")));
            foreach (var name in needed)
                pending.Enqueue((file, name));
        }
        Read(binary);
        while (pending.TryDequeue(out var next))
        {
            if (!served.Add(next.Needed))
                continue;
            var match = folders.Select(f => (Guest: f + "/" + next.Needed, Host: InsideRoot(root, f + "/" + next.Needed)))
                .FirstOrDefault(c => c.Host is not null);
            if (match.Host is null)
                throw new FileNotFoundException($"{next.File} needs {next.Needed}, which is in none of {string.Join(", ", folders)} of {root}.");
            found.Add((match.Guest, match.Host));
            Read(match.Host);
        }
        return found;
    }

    /// <summary>The ELF interpreter and the DT_NEEDED names of an ELF file of any architecture (readelf).</summary>
    public static (string? Interpreter, IReadOnlyList<string> Needed) DynamicSection(string elf)
    {
        var readelf = Tool.Run("readelf", ["--program-headers", "--dynamic", "--wide", elf]);
        if (readelf.ExitCode != 0)
            throw new InvalidOperationException($"readelf {elf}: {readelf.Tail(3)}");
        var interpreter = InterpreterLine().Match(readelf.Stdout) is { Success: true } i ? i.Groups[1].Value : null;
        return (interpreter, NeededLine().Matches(readelf.Stdout).Select(m => m.Groups[1].Value).ToList());
    }

    /// <summary>e_machine of an ELF file (62 x86-64, 183 AArch64); 0 when the file is not ELF.</summary>
    public static ushort ElfMachine(string path)
    {
        Span<byte> header = stackalloc byte[20];
        using var file = File.OpenRead(path);
        if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length || !header[..4].SequenceEqual("\u007FELF"u8))
            return 0;
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(header[18..]);
    }

    /// <summary>
    /// <paramref name="path"/> (absolute, as the guest sees it) resolved inside <paramref name="root"/>: each
    /// symbolic link is followed, an absolute target from the root and a relative one from the link's folder.
    /// Null when it does not exist there.
    /// </summary>
    public static string? InsideRoot(string root, string path)
    {
        var parts = new Queue<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var resolved = new List<string>();
        for (var links = 0; parts.TryDequeue(out var part);)
        {
            if (part == ".")
                continue;
            if (part == "..")
            {
                if (resolved.Count > 0)
                    resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var host = Path.Combine(root, string.Join('/', resolved.Append(part)));
            var info = new FileInfo(host);
            if (info.LinkTarget is { } target)
            {
                if (++links > 40)
                    return null; // a loop, as ELOOP
                var rest = target.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(parts).ToList();
                if (target.StartsWith('/'))
                    resolved.Clear();
                parts = new Queue<string>(rest);
                continue;
            }
            if (!info.Exists && !Directory.Exists(host))
                return null;
            resolved.Add(part);
        }
        var result = Path.Combine(root, string.Join('/', resolved));
        return File.Exists(result) ? result : null;
    }

    [GeneratedRegex(@"\[Requesting program interpreter: ([^\]]+)\]")]
    private static partial Regex InterpreterLine();

    [GeneratedRegex(@"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")]
    private static partial Regex NeededLine();

    /// <summary>The libraries the dynamic loader would map for <paramref name="binary"/> (ldd), the loader included.</summary>
    public static IReadOnlyList<string> SharedLibraries(string binary)
    {
        var ldd = Tool.Run("ldd", [binary]);
        var libraries = new List<string>();
        foreach (var raw in ldd.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw.Contains("not found", StringComparison.Ordinal))
                throw new InvalidOperationException($"ldd {binary}: {raw}");
            var line = raw.Contains("=>", StringComparison.Ordinal) ? raw[(raw.IndexOf("=>", StringComparison.Ordinal) + 2)..].Trim() : raw;
            var path = line.Split(' ')[0];
            if (path.StartsWith('/'))
                libraries.Add(path);
        }
        return libraries;
    }
}
