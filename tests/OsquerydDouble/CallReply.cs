namespace OsqueryBpf.OsquerydDouble;

/// <summary>A decoded ExtensionResponse: the status and the rows.</summary>
public sealed record CallReply(ExtensionStatusValue Status, List<Dictionary<string, string>> Rows);
