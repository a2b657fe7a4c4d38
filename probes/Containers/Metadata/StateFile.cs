using OsqueryBpf.Containers.Interop;

namespace OsqueryBpf.Containers.Metadata;

/// <summary>
/// Reads one runtime state file as root, defensively: the file is opened beneath its runtime's directory with
/// no symbolic link in any component, must be a regular file owned by the expected user and at most a given
/// size, and is never opened in a way that could block (a FIFO) or follow a link elsewhere.
/// </summary>
/// <remarks>
/// Root runtimes keep their state in root-only directories, but a rootless runtime's state lives in its user's
/// home, where the user could plant a link to /etc/shadow or a FIFO: that must give an error, not a read of
/// another file and not a hang. Error messages name the file and the reason, never its content.
/// </remarks>
public static class StateFile
{
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;
    private const int ELOOP = 40;
    private const int EXDEV = 18;

    /// <summary>
    /// The bytes of <paramref name="relativePath"/> under <paramref name="directory"/>, or null when it does not
    /// exist. Throws <see cref="StateFileException"/> when it exists but is a link (or under one), not a regular
    /// file, larger than <paramref name="maxBytes"/>, or owned by someone other than <paramref name="ownerUid"/>.
    /// </summary>
    public static byte[]? Read(string directory, string relativePath, long maxBytes, uint ownerUid = 0)
    {
        string shown = Path.Combine(directory, relativePath);
        using var handle = Posix.OpenBeneath(directory, relativePath, out var facts, out int errno);
        if (handle is null)
        {
            if (errno is ENOENT or ENOTDIR)
                return null;
            if (errno is ELOOP or EXDEV)
                throw new StateFileException($"{shown}: refused: it is, or is under, a symbolic link or another mount");
            throw new StateFileException($"{shown}: cannot open: {Posix.ErrorText(errno)}");
        }
        if (!facts.IsRegularFile)
            throw new StateFileException($"{shown}: refused: not a regular file");
        if (facts.OwnerUid != ownerUid)
            throw new StateFileException($"{shown}: refused: owned by uid {facts.OwnerUid}, expected {ownerUid}");
        if (facts.Size > maxBytes)
            throw new StateFileException($"{shown}: refused: {facts.Size} bytes, more than the limit of {maxBytes}");
        // Read at most one byte past the limit, to notice a file that grew after fstat.
        var buffer = new byte[facts.Size + 1];
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer.AsSpan(total), total);
            if (n == 0)
                break;
            total += n;
        }
        if (total > maxBytes)
            throw new StateFileException($"{shown}: refused: grew past the limit of {maxBytes} bytes while read");
        return buffer[..total];
    }
}
