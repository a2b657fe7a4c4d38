namespace OsqueryBpf.OsquerydDouble;

/// <summary>A method call the double received, with its sequence id and the time it arrived.</summary>
public sealed record RecordedCall(string Method, int SeqId, DateTime ReceivedUtc);
