using System.Globalization;
using Microsoft.Data.Sqlite;

namespace OsqueryBpf.Tables.Store;

/// <summary>Opening the store's SQLite file, checking it, and moving a damaged one aside.</summary>
internal static class DatabaseFile
{
    // SQLite primary result codes that mean "this file is not a usable database".
    private const int SqliteIoError = 10;
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    public static string WriterConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = path == StoreOptions.InMemory ? SqliteOpenMode.Memory : SqliteOpenMode.ReadWriteCreate,
        Pooling = false, // the file must really close when the store closes or moves it aside
    }.ToString();

    /// <summary>
    /// Query connections: read-only, one per call, not pooled. Opening one costs a fraction of a millisecond; a pooled
    /// one would keep its page cache (up to 2 MB each) for the life of the process after a burst of large queries.
    /// </summary>
    public static string ReaderConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadOnly,
        Pooling = false,
    }.ToString();

    /// <summary>A read-only connection to an existing store (the read-only view of a database another process writes).</summary>
    public static SqliteConnection OpenReadOnly(string path)
    {
        SqliteThreading.EnsureMultiThread();
        if (!File.Exists(path))
            throw new IOException($"There is no event store at '{path}' to read.");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "SELECT count(*) FROM sqlite_schema"); // fails now, not at the first query, if it is no database
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new IOException($"The event store '{path}' cannot be read: {e.Message}", e);
        }
        return connection;
    }

    /// <summary>True when the exception says the file is damaged or is not a database at all.</summary>
    public static bool IsDamage(SqliteException exception) =>
        exception.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase or SqliteIoError;

    /// <summary>
    /// Opens the writer connection of an on-disk store with WAL and synchronous=NORMAL, after checking the file with
    /// PRAGMA quick_check. A damaged file is moved aside and a fresh one started; this happens at most once, so a
    /// folder where no database can be created gives a clear exception instead of a loop.
    /// </summary>
    public static SqliteConnection OpenWriter(string path, Action<string> log, TimeProvider clock, Action<string>? warn = null)
    {
        SqliteThreading.EnsureMultiThread();
        if (path == StoreOptions.InMemory)
        {
            var memory = new SqliteConnection(WriterConnectionString(path));
            memory.Open();
            return memory;
        }

        CreateFolder(path, warn ?? log);

        for (var attempt = 0; ; attempt++)
        {
            SecureDatabaseFiles(path, warn ?? log);
            var connection = new SqliteConnection(WriterConnectionString(path));
            try
            {
                connection.Open();
                Execute(connection, "PRAGMA journal_mode=WAL");
                Execute(connection, "PRAGMA synchronous=NORMAL");
                var check = QuickCheck(connection);
                if (check is null)
                    return connection;
                connection.Dispose();
                if (attempt > 0)
                    throw new IOException($"The event store '{path}' is still damaged after it was replaced: {check}");
                MoveAside(path, check, log, clock);
            }
            catch (SqliteException e) when (IsDamage(e) && attempt == 0)
            {
                connection.Dispose();
                MoveAside(path, e.Message, log, clock);
            }
            catch (SqliteException e)
            {
                connection.Dispose();
                throw new IOException($"The event store '{path}' cannot be opened: {e.Message}", e);
            }
        }
    }

    /// <summary>Only the owner (root) may read, write or list: the rows hold other users' command lines and paths.</summary>
    internal const UnixFileMode PrivateFolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Only the owner may read or write the database, its WAL, its shared memory and its lock file.</summary>
    internal const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The bits that give the group or others any access.</summary>
    private const UnixFileMode GroupAndOther = (UnixFileMode)0x3F; // 077

    /// <summary>The files SQLite keeps beside the database (the rollback journal exists only before WAL is on).</summary>
    internal static readonly string[] SideFileSuffixes = ["-wal", "-shm", "-journal"];

    /// <summary>
    /// Creates the folder of an on-disk database if it is missing (0700: parents keep the default mode) and tightens
    /// an existing one that the group or others could enter, with a warning; a clear IOException when it cannot be
    /// created. A shared folder with the sticky bit (/tmp) is left as it is, with a warning: taking it from other
    /// users would break them, and the files inside are 0600 all the same.
    /// </summary>
    public static void CreateFolder(string path, Action<string>? warn = null)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("The store's file modes are POSIX modes.");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (string.IsNullOrEmpty(folder))
            return;
        try
        {
            if (!Directory.Exists(folder))
            {
                if (Path.GetDirectoryName(folder) is { Length: > 0 } parent)
                    Directory.CreateDirectory(parent);
                // The mode is given to mkdir, so the folder is never wider than 0700 (the umask can only narrow it).
                Directory.CreateDirectory(folder, PrivateFolderMode);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"The event store's folder '{folder}' cannot be created: {e.Message}", e);
        }
        Tighten(folder, warn, isFolder: true);
    }

    /// <summary>
    /// Makes the database file 0600 before SQLite touches it: a missing one is created empty with that mode (an empty
    /// file is an empty database to SQLite), an existing wider one is tightened with a warning, and so are its WAL,
    /// shared-memory and journal files. SQLite gives the files it creates later (-wal, -shm, -journal) the database
    /// file's mode, so they are 0600 too, whatever the umask.
    /// </summary>
    public static void SecureDatabaseFiles(string path, Action<string>? warn = null)
    {
        CreatePrivateFile(path, warn);
        foreach (var suffix in SideFileSuffixes)
            Tighten(path + suffix, warn, isFolder: false);
    }

    /// <summary>Creates <paramref name="path"/> empty with mode 0600 when missing, else tightens it to 0600 or narrower.</summary>
    internal static void CreatePrivateFile(string path, Action<string>? warn)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("The store's file modes are POSIX modes.");
        try
        {
            // O_CREAT|O_EXCL with mode 0600: never wider, whatever the umask.
            using var created = new FileStream(path, new FileStreamOptions
            {
                Mode = System.IO.FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.ReadWrite,
                UnixCreateMode = PrivateFileMode,
            });
            return;
        }
        catch (IOException) when (File.Exists(path))
        {
            // There already: tightened below.
        }
        Tighten(path, warn, isFolder: false);
    }

    /// <summary>Removes the group's and others' bits from an existing file or folder, and says so.</summary>
    internal static void Tighten(string path, Action<string>? warn, bool isFolder)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("The store's file modes are POSIX modes.");
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return;
        }
        if ((mode & GroupAndOther) == 0)
            return;
        var octal = Convert.ToString((int)mode, 8);
        if (isFolder && mode.HasFlag(UnixFileMode.StickyBit))
        {
            warn?.Invoke($"The event store's folder '{path}' is a shared folder (mode {octal}, sticky); leaving it as it is. " +
                         "Its database files are 0600, but other users can see their names: give the store a folder of its own.");
            return;
        }
        var tightened = mode & ~GroupAndOther;
        try
        {
            File.SetUnixFileMode(path, tightened);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"'{path}' has mode {octal}, which lets other users read events, and cannot be tightened: {e.Message}", e);
        }
        warn?.Invoke($"'{path}' had mode {octal}, which let other users read events; tightened it to {Convert.ToString((int)tightened, 8)}.");
    }

    /// <summary>Null when the database is sound, else SQLite's first complaint.</summary>
    private static string? QuickCheck(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check(1)";
        var result = command.ExecuteScalar() as string;
        return result == "ok" ? null : result ?? "quick_check returned nothing";
    }

    /// <summary>
    /// Renames a damaged database (and its WAL) to <c>events.db.corrupt-&lt;UTC timestamp&gt;</c> so it can be examined,
    /// and logs why. Returns the new name.
    /// </summary>
    public static string MoveAside(string path, string reason, Action<string> log, TimeProvider clock)
    {
        SqliteConnection.ClearAllPools(); // pooled readers hold the old file open
        var stamp = clock.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var target = path + ".corrupt-" + stamp;
        for (var n = 1; File.Exists(target); n++)
            target = path + ".corrupt-" + stamp + "-" + n.ToString(CultureInfo.InvariantCulture);
        File.Move(path, target);
        if (File.Exists(path + "-wal"))
            File.Move(path + "-wal", target + "-wal");
        if (File.Exists(path + "-shm"))
            File.Delete(path + "-shm"); // derived from the WAL; SQLite rebuilds it
        log($"The event store '{path}' is damaged ({reason}); moved it to '{target}' and started a new, empty one.");
        return target;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
