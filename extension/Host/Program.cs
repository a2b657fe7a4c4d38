namespace OsqueryBpf.Host;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("osquery-bpf: not wired yet");
        return 1;
    }
}
