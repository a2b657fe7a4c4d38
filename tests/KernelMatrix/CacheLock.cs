namespace OsqueryBpf.KernelMatrix;

/// <summary>
/// An exclusive lock on a cache folder (flock on a ".lock" file through FileShare.None), so two runs on one
/// machine never update the same apt lists or unpack the same kernel at once.
/// </summary>
internal static class CacheLock
{
    public static IDisposable Take(string folder, TimeSpan? timeout = null)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, ".lock");
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(15));
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(500);
            }
        }
    }
}
