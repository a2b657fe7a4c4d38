using System.Diagnostics;
using OsqueryBpf.TestSupport;

namespace OsqueryBpf.Tables.Tests;

/// <summary>
/// A small tmpfs mounted on a fresh temporary folder: a real file system that really fills up (ENOSPC), for the
/// full-disk tests. Needs root; unmounted and removed on dispose.
/// </summary>
internal sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Mounts a tmpfs of <paramref name="sizeKiB"/> KiB (skips without root, fails under CI).</summary>
    public static TmpfsMount Create(int sizeKiB)
    {
        Requirements.RequireRoot();
        var path = Directory.CreateTempSubdirectory("tables-full-disk-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={sizeKiB}k,mode=0700", "tmpfs", path);
        return new TmpfsMount(path);
    }

    /// <summary>Grows (or shrinks) the file system in place, as freeing space on a real disk would.</summary>
    public void Resize(int sizeKiB) => Run("mount", "-o", $"remount,size={sizeKiB}k", Path);

    private static void Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {error}");
    }

    public void Dispose()
    {
        try
        {
            Run("umount", "-l", Path);
            Directory.Delete(Path);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
        }
    }
}
