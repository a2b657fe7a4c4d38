using System.Diagnostics.CodeAnalysis;
using OsqueryBpf.Events;

namespace OsqueryBpf.Probes.Runtime;

/// <summary>Turns one ring buffer record of a probe into a typed event.</summary>
/// <remarks>Instances reuse buffers and are not thread-safe: use one per ring reader.</remarks>
public interface IRecordDecoder
{
    /// <summary>
    /// Decodes <paramref name="record"/>. Returns false with a sentence in <paramref name="error"/> when the
    /// record is malformed (too short, unknown kind, lengths past its end); the caller counts it as a drop.
    /// </summary>
    bool TryDecode(ReadOnlySpan<byte> record, [NotNullWhen(true)] out Event? evt, [NotNullWhen(false)] out string? error);
}
