using System.Globalization;
using Microsoft.Data.Sqlite;

namespace OsqueryBpf.OsquerydDouble;

/// <summary>One scheduled query as osquery_schedule lists it (a pack's queries appear as "pack_&lt;pack&gt;_&lt;query&gt;").</summary>
public sealed record ScheduledQueryEntry(string Name, string Query, long Interval);

/// <summary>
/// What the double's query() runs SQL over, the way osqueryd runs it over its own tables: a fresh in-memory SQLite
/// database per call with osquery_registry, osquery_schedule and osquery_flags (osquery's column names), filled from
/// the double's state. Every value comes back as text, NULL as the empty string; a failing statement gives code 1
/// and SQLite's message, as osqueryd's ExtensionManagerHandler::query does.
/// </summary>
internal static class OsqueryInternalTables
{
    public static (int Code, string Message, List<Dictionary<string, string>> Rows) Run(
        string sql,
        IReadOnlyDictionary<string, string> flags,
        IReadOnlyList<string> coreTables,
        IReadOnlyList<ScheduledQueryEntry> schedule,
        IReadOnlyDictionary<long, RegistrationRecord> extensions)
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        Execute(connection, """
            CREATE TABLE osquery_registry (registry TEXT, name TEXT, owner_uuid INTEGER, internal INTEGER, active INTEGER);
            CREATE TABLE osquery_schedule (name TEXT, query TEXT, interval INTEGER, executions BIGINT, last_executed BIGINT,
                denylisted INTEGER, output_size BIGINT, wall_time BIGINT, wall_time_ms BIGINT, last_wall_time_ms BIGINT,
                user_time BIGINT, last_user_time BIGINT, system_time BIGINT, last_system_time BIGINT, average_memory BIGINT,
                last_memory BIGINT);
            CREATE TABLE osquery_flags (name TEXT, type TEXT, description TEXT, default_value TEXT, value TEXT, shell_only INTEGER);
            """);
        foreach (var table in coreTables)
            Insert(connection, "INSERT INTO osquery_registry VALUES ('table', $1, 0, 0, 1)", table);
        foreach (var (uuid, extension) in extensions)
        {
            foreach (var (registry, plugins) in extension.Registry)
            {
                foreach (var plugin in plugins.Keys)
                    Insert(connection, "INSERT INTO osquery_registry VALUES ($1, $2, $3, 0, 1)", registry, plugin, uuid);
            }
        }
        foreach (var query in schedule)
            Insert(connection, "INSERT INTO osquery_schedule (name, query, interval, executions, denylisted) VALUES ($1, $2, $3, 0, 0)",
                query.Name, query.Query, query.Interval);
        foreach (var (name, value) in flags)
            Insert(connection, "INSERT INTO osquery_flags VALUES ($1, 'string', '', $2, $2, 0)", name, value);

        var rows = new List<Dictionary<string, string>>();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var row = new Dictionary<string, string>(StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                    row[reader.GetName(i)] = reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "";
                rows.Add(row);
            }
        }
        catch (SqliteException e)
        {
            return (1, e.Message, []);
        }
        return (0, "OK", rows);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void Insert(SqliteConnection connection, string sql, params object[] values)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
            command.Parameters.AddWithValue("$" + (i + 1).ToString(CultureInfo.InvariantCulture), values[i]);
        command.ExecuteNonQuery();
    }
}
