using OsqueryBpf.Tables.Store;

namespace OsqueryBpf.Tables;

/// <summary>
/// The database already has a writer: another process (or another store in this one) holds the exclusive lock on
/// the lock file beside it. One database has one writer, so that eids stay unique and no event is stored twice.
/// </summary>
public sealed class StoreInUseException : IOException
{
    internal StoreInUseException(string databasePath, int? holderPid, string? holderName, Exception inner)
        : base($"The event store '{databasePath}' is in use by " +
               (holderPid is { } pid ? $"process {pid}{(holderName is null ? "" : $" ({holderName})")}" : "another process") +
               ", which holds its lock file '" + DatabaseLock.LockPath(databasePath) + "'. A database has one writer: stop that " +
               "process, give this one its own database, or open this one read-only.", inner)
    {
        DatabasePath = databasePath;
        HolderPid = holderPid;
    }

    /// <summary>The database that is in use.</summary>
    public string DatabasePath { get; }

    /// <summary>The process that holds the lock, when it could be found.</summary>
    public int? HolderPid { get; }
}
