namespace OsqueryBpf.Tables.Store;

/// <summary>
/// The one-writer rule for an on-disk store: the writer holds an exclusive advisory lock (flock) on
/// <c>&lt;database&gt;.lock</c> for as long as it is open. The kernel drops the lock when the process ends, however it
/// ends, so a crash never leaves a stale lock behind.
/// </summary>
/// <remarks>
/// .NET takes the flock itself when a file is opened with <see cref="FileShare.None"/> (LOCK_EX | LOCK_NB), which keeps
/// this free of native calls. The runtime skips the lock where the file system cannot lock and when
/// DOTNET_SYSTEM_IO_DISABLEFILELOCKING is set; then the rule is not enforced.
/// </remarks>
internal static class DatabaseLock
{
    /// <summary>The lock file beside <paramref name="databasePath"/>.</summary>
    public static string LockPath(string databasePath) => databasePath + ".lock";

    /// <summary>Takes the writer's lock, or throws <see cref="StoreInUseException"/> saying who holds it.</summary>
    public static FileStream Acquire(string databasePath, Action<string>? warn = null)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("The store's file modes are POSIX modes.");
        var path = LockPath(databasePath);
        FileStream stream;
        try
        {
            // Created 0600 whatever the umask (it holds only a pid, but nothing in the store's folder is for others).
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = DatabaseFile.PrivateFileMode,
            });
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException) && File.Exists(path))
        {
            var holder = FindHolder(path);
            throw new StoreInUseException(databasePath, holder, holder is { } pid ? ProcessName(pid) : null, e);
        }
        try
        {
            DatabaseFile.Tighten(path, warn, isFolder: false); // one left by an older version may be 0644
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        try
        {
            // For people looking at the file; the lock itself is what counts.
            stream.SetLength(0);
            var line = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
            stream.Write(line);
            stream.Flush();
        }
        catch (IOException)
        {
            // A full disk may refuse the few bytes; the lock is held all the same.
        }
        return stream;
    }

    /// <summary>The process with the lock file open, found through /proc/&lt;pid&gt;/fd (best effort: root sees all).</summary>
    private static int? FindHolder(string lockPath)
    {
        var target = Path.GetFullPath(lockPath);
        try
        {
            foreach (var process in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(process), out var pid))
                    continue;
                try
                {
                    foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(process, "fd")))
                    {
                        if (string.Equals(new FileInfo(fd).LinkTarget, target, StringComparison.Ordinal))
                            return pid;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // gone, or not ours to look at
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static string? ProcessName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
