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
    public static SqliteConnection OpenWriter(string path, Action<string> log, TimeProvider clock)
    {
        SqliteThreading.EnsureMultiThread();
        if (path == StoreOptions.InMemory)
        {
            var memory = new SqliteConnection(WriterConnectionString(path));
            memory.Open();
            return memory;
        }

        CreateFolder(path);

        for (var attempt = 0; ; attempt++)
        {
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

    /// <summary>Creates the folder of an on-disk database if it is missing; a clear IOException when it cannot be.</summary>
    public static void CreateFolder(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (string.IsNullOrEmpty(folder))
            return;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"The event store's folder '{folder}' cannot be created: {e.Message}", e);
        }
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
