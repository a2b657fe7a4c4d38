namespace OsqueryBpf.OsquerydDouble;

/// <summary>A decoded ExtensionStatus.</summary>
public sealed record ExtensionStatusValue(int Code, string Message, long Uuid);
