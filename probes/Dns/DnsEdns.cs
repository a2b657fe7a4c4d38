namespace OsqueryBpf.Dns;

/// <summary>What the EDNS(0) OPT pseudo-record of the additional section says (RFC 6891).</summary>
/// <param name="UdpPayloadSize">The largest UDP payload the sender can reassemble.</param>
/// <param name="ExtendedRcodeHigh">The upper 8 bits of the 12-bit response code.</param>
/// <param name="Version">The EDNS version (0).</param>
/// <param name="DnssecOk">The DO bit: the sender wants DNSSEC records.</param>
/// <param name="Flags">All 16 flag bits (DO is the top one).</param>
/// <param name="OptionCount">How many options the record carried (cookie, padding, client subnet, ...).</param>
public readonly record struct DnsEdns(
    ushort UdpPayloadSize, byte ExtendedRcodeHigh, byte Version, bool DnssecOk, ushort Flags, int OptionCount);
