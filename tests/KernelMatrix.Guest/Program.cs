using OsqueryBpf.KernelMatrix.Guest;

// kmatrix-guest run --extension PATH [--dnsmasq PATH] [--report PATH] [--settle-timeout S] [--check-timeout S]
//     Starts the extension under the osqueryd double, makes the workloads, checks the tables; exit 0 when
//     every probe runs and every check holds, 1 otherwise. Report lines go to stdout and to --report.
// kmatrix-guest tcp-client ADDRESS PORT
//     A child of `run`: connects, writes a line, closes; prints "<local port> <fd>".
// kmatrix-guest dns-client udp|tcp SERVER NAME ID
//     A child of `run`: sends one A query and waits for the answer; prints the answer's rcode and addresses.
try
{
    return args switch
    {
        ["run", .. var rest] => GroundTruthRun.Execute(rest),
        ["tcp-client", var address, var port] => TcpClientChild.Run(address, int.Parse(port)),
        ["dns-client", var protocol, var server, var name, var id] => DnsClientChild.Run(protocol, server, name, ushort.Parse(id)),
        _ => Usage(),
    };
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine("kmatrix-guest: " + e.Message);
    return 2;
}

static int Usage()
{
    Console.Error.WriteLine("usage: kmatrix-guest run --extension PATH [--dnsmasq PATH] [--report PATH] [--settle-timeout S] [--check-timeout S]");
    Console.Error.WriteLine("       kmatrix-guest tcp-client ADDRESS PORT | dns-client udp|tcp SERVER NAME ID");
    return 2;
}
