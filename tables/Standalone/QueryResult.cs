namespace OsqueryBpf.Tables.Standalone;

/// <summary>The result of a standalone query: column names and rows of text values (null for SQL NULL).</summary>
public sealed record QueryResult(IReadOnlyList<string> Columns, IReadOnlyList<string?[]> Rows);
