namespace OsqueryBpf.Benchmarks.Probes;

/// <summary>Paths and addresses one benchmark invocation shares between its workloads.</summary>
/// <param name="TempFolder">The invocation's temporary folder, deleted at the end.</param>
/// <param name="ScratchFolder">Where the file storm creates, renames and deletes its files.</param>
/// <param name="ReadTarget">The existing file the open loop opens for reading.</param>
/// <param name="DnsAddress">The loopback address dnsmasq listens on (port 53).</param>
internal sealed record RunContext(string TempFolder, string ScratchFolder, string ReadTarget, string DnsAddress);
