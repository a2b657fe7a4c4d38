using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace OsqueryBpf.Containers.Tests.Runtimes;

/// <summary>
/// A container image made here, since no registry is reachable: a root filesystem with Debian's busybox-static
/// (/bin/busybox, statically linked, so it needs no libraries) as a plain tar for `docker import` and
/// `podman import`, and the same layer as an OCI image archive for `ctr image import`.
/// </summary>
internal static class BusyboxImage
{
    public const string Busybox = "/bin/busybox";

    /// <summary>Whether /bin/busybox is the static one (busybox-static), which a bare rootfs needs.</summary>
    public static bool IsStaticBusyboxInstalled()
    {
        if (!File.Exists(Busybox))
            return false;
        var r = Command.Run("file", [Busybox]);
        return r.ExitCode != 0 ? File.Exists("/usr/share/doc/busybox-static/copyright") : r.Output.Contains("statically linked");
    }

    /// <summary>Writes the rootfs tar; returns its bytes.</summary>
    public static byte[] WriteRootfsTar(string path)
    {
        using var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var dir in new[] { "bin", "etc", "tmp", "proc", "sys", "dev", "root" })
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir + "/") { Mode = (UnixFileMode)0x1ED });
            tar.WriteEntry(Busybox, "bin/busybox");
            foreach (var applet in new[] { "sh", "touch", "cat", "sleep", "true", "ls", "echo", "id", "rm" })
                tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", Mode = (UnixFileMode)0x1FF });
            AddFile(tar, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
            AddFile(tar, "etc/group", "root:x:0:\n");
        }
        var bytes = buffer.ToArray();
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    /// <summary>Writes an OCI image layout archive holding the rootfs as its one layer, named <paramref name="reference"/>.</summary>
    public static void WriteOciArchive(string path, byte[] layer, string reference)
    {
        string layerDigest = Sha256(layer);
        var config = Encoding.UTF8.GetBytes(
            $"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{{\"Cmd\":[\"/bin/sh\"]}},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"sha256:{layerDigest}\"]}}}}");
        string configDigest = Sha256(config);
        var manifest = Encoding.UTF8.GetBytes(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," +
            $"\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:{configDigest}\",\"size\":{config.Length}}}," +
            $"\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:{layerDigest}\",\"size\":{layer.Length}}}]}}");
        string manifestDigest = Sha256(manifest);
        var index = Encoding.UTF8.GetBytes(
            "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," +
            $"\"digest\":\"sha256:{manifestDigest}\",\"size\":{manifest.Length},\"annotations\":{{\"org.opencontainers.image.ref.name\":\"{reference}\"}}}}]}}");
        using var file = File.Create(path);
        using var tar = new TarWriter(file, TarEntryFormat.Pax);
        AddFile(tar, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        AddFile(tar, "index.json", index);
        AddFile(tar, $"blobs/sha256/{layerDigest}", layer);
        AddFile(tar, $"blobs/sha256/{configDigest}", config);
        AddFile(tar, $"blobs/sha256/{manifestDigest}", manifest);
    }

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static void AddFile(TarWriter tar, string name, string text) => AddFile(tar, name, Encoding.UTF8.GetBytes(text));

    private static void AddFile(TarWriter tar, string name, byte[] data)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)0x1A4 };
        tar.WriteEntry(entry);
    }
}
