namespace OsqueryBpf.Osquery.Server;

/// <summary>What the extension socket has seen since it started listening.</summary>
/// <param name="Accepted">Connections accepted.</param>
/// <param name="Failed">Connections closed for bad input, a timeout or a transport error.</param>
/// <param name="Shed">Waiting connections closed to make room for others.</param>
/// <param name="Refused">Connections closed at once because every slot was busy with a request.</param>
/// <param name="Open">Connections open now.</param>
public sealed record ConnectionCounters(long Accepted, long Failed, long Shed, long Refused, int Open);
