namespace OsqueryBpf.Bpf.RingBuffers;

/// <summary>
/// Receives one ring buffer record in place. The span is only valid during the call: copy or decode it,
/// do not keep it.
/// </summary>
public delegate void RingRecordHandler(ReadOnlySpan<byte> record);
