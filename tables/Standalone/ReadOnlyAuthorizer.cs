using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace OsqueryBpf.Tables.Standalone;

/// <summary>
/// An SQLite authorizer that lets a connection read and nothing else: SELECT, reading columns, functions, recursive
/// CTEs and a few schema-reading pragmas. Every write, schema change, ATTACH, transaction or other pragma is refused
/// when the statement is prepared, with SQLite's "not authorized" error.
/// </summary>
internal static class ReadOnlyAuthorizer
{
    private static readonly HashSet<string> ReadingPragmas = new(StringComparer.OrdinalIgnoreCase)
    {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
        "database_list", "function_list", "pragma_list", "compile_options",
    };

    private static readonly strdelegate_authorizer Callback = Authorize;

    public static void Install(SqliteConnection connection) =>
        raw.sqlite3_set_authorizer(connection.Handle, Callback, null);

    public static void Remove(SqliteConnection connection) =>
        raw.sqlite3_set_authorizer(connection.Handle, (strdelegate_authorizer?)null, null);

    private static int Authorize(object userData, int action, string param0, string param1, string database, string trigger) =>
        action switch
        {
            raw.SQLITE_SELECT or raw.SQLITE_READ or raw.SQLITE_FUNCTION or raw.SQLITE_RECURSIVE => raw.SQLITE_OK,
            raw.SQLITE_PRAGMA when ReadingPragmas.Contains(param0 ?? "") => raw.SQLITE_OK,
            _ => raw.SQLITE_DENY,
        };
}
