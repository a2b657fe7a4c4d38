namespace OsqueryBpf.Containers.Metadata;

/// <summary>A runtime state file that exists but cannot be trusted or understood: the message says which file and why (never its content).</summary>
public sealed class StateFileException(string message, Exception? inner = null) : Exception(message, inner);
