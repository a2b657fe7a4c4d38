namespace OsqueryBpf.Tables;

/// <summary>What a streamed store query delivered.</summary>
/// <param name="Rows">Rows the sink accepted.</param>
/// <param name="Complete">False when the sink ran out of room before every matching row was delivered.</param>
public sealed record QueryOutcome(long Rows, bool Complete);
