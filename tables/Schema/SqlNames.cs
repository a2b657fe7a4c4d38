namespace OsqueryBpf.Tables.Schema;

/// <summary>Quoting of SQL identifiers. Only names from our own definitions are ever quoted; user input never
/// reaches SQL text.</summary>
internal static class SqlNames
{
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
