namespace OsqueryBpf.Tables.Standalone;

/// <summary>A standalone query failed: bad SQL, an unknown table, or an attempt to write.</summary>
public sealed class StandaloneQueryException : Exception
{
    internal StandaloneQueryException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
