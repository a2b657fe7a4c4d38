namespace OsqueryBpf.KernelMatrix;

/// <summary>The archive could not be reached or did not deliver a package: a skip locally, a failure under CI.</summary>
internal sealed class ArchiveUnavailableException(string message) : Exception(message);
