using OsqueryBpf.Events;

namespace OsqueryBpf.Probes.Runtime;

/// <summary>
/// A decoder whose records do not map one-to-one to events: a TCP segment of DNS traffic may complete no
/// message or several. The probe runner prefers this interface when a decoder implements it.
/// </summary>
public interface IMultiEventDecoder
{
    /// <summary>Decodes one ring record, adding zero or more events to <paramref name="events"/>.</summary>
    /// <returns>Null when the record was understood, else why it was refused (the caller counts it).</returns>
    string? Decode(ReadOnlySpan<byte> record, List<Event> events);
}
