using System.Reflection;
using System.Text;

namespace OsqueryBpf.KernelMatrix;

/// <summary>
/// The initramfs every guest boots: busybox, our /init, the published extension, the guest program, dnsmasq,
/// the shared libraries ldd names for each of them, and a minimal /etc. Nothing is installed from the kernel
/// package: the guest needs no modules (no devices beyond the serial ports).
/// </summary>
internal static class GuestImage
{
    public const string ExtensionPath = "/opt/osquery-bpf/osquery-bpf.ext";
    public const string GuestPath = "/opt/kmatrix/kmatrix-guest";
    public const string DnsmasqPath = "/usr/sbin/dnsmasq";

    /// <summary>Writes the image to <paramref name="output"/>.</summary>
    public static void Build(GuestArchitecture arch, GuestPrograms programs, string output)
    {
        if (GuestArchitecture.Host != arch)
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
                archive.File(guest, File.ReadAllBytes(host), 0x1ED);
            foreach (var library in binaries.SelectMany(b => SharedLibraries(b.Host)).Distinct(StringComparer.Ordinal))
            {
                if (!archive.Contains(library))
                    archive.File(library, File.ReadAllBytes(library), 0x1ED);
            }
        }
        File.Move(output + ".partial", output, overwrite: true);
    }

    /// <summary>The /init script with this architecture's report port filled in.</summary>
    public static string InitScript(GuestArchitecture arch)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("init")
            ?? throw new InvalidOperationException("The init script is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("@REPORT@", arch.ReportDevice, StringComparison.Ordinal);
    }

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
