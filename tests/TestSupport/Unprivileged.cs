using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OsqueryBpf.TestSupport;

/// <summary>
/// What an unprivileged user can do: commands run as nobody (uid/gid 65534, no supplementary groups) through
/// setpriv, and the process umask set for a while (umask is process-wide: use it only from tests that run alone).
/// </summary>
public static partial class Unprivileged
{
    public const int Nobody = 65534;

    /// <summary>Runs <paramref name="program"/> as nobody; returns its exit code and its output and error text.</summary>
    public static (int ExitCode, string Output) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo("setpriv")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "--", program, .. args])
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error);
    }

    /// <summary>
    /// Connects to a UNIX stream socket as nobody (perl's Socket module, in perl-base): exit code 0 when connected,
    /// 13 when refused for permissions, 1 for anything else.
    /// </summary>
    public static (int ExitCode, string Output) Connect(string socketPath) => Run("perl", "-MSocket", "-e",
        "socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die \"socket: $!\"; " +
        "if (connect($s, pack_sockaddr_un($ARGV[0]))) { print \"connected\\n\"; exit 0 } " +
        "print \"connect: $!\\n\"; exit($!{EACCES} ? 13 : 1);", socketPath);

    /// <summary>Sets the process umask until disposed.</summary>
    public static IDisposable Umask(int mask)
    {
        var previous = umask(mask);
        return new Restore(previous);
    }

    [LibraryImport("libc")]
    private static partial int umask(int mask);

    private sealed class Restore(int previous) : IDisposable
    {
        public void Dispose() => umask(previous);
    }
}
