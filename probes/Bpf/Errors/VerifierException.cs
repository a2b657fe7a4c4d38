using System.Text;
using OsqueryBpf.Bpf.Interop;

namespace OsqueryBpf.Bpf.Errors;

/// <summary>
/// The kernel refused a program (BPF_PROG_LOAD failed). The message names the program and quotes the last
/// lines of the verifier log; <see cref="VerifierLog"/> and <see cref="ToString"/> have the whole log.
/// </summary>
public sealed class VerifierException : BpfException
{
    /// <summary>How many trailing log lines the message quotes.</summary>
    internal const int MessageLogLines = 3;

    internal VerifierException(string programName, Errno errno, string verifierLog, string? hint)
        : base(BuildMessage(programName, errno, verifierLog, hint), errno)
    {
        ProgramName = programName;
        VerifierLog = verifierLog;
    }

    /// <summary>The program's name in the object file.</summary>
    public string ProgramName { get; }

    /// <summary>The complete verifier log (empty if the kernel wrote none).</summary>
    public string VerifierLog { get; }

    /// <summary>The last <paramref name="count"/> non-empty lines of the log.</summary>
    public IReadOnlyList<string> Tail(int count)
    {
        var lines = LogLines(VerifierLog);
        return lines.Skip(Math.Max(0, lines.Count - count)).ToArray();
    }

    /// <inheritdoc />
    public override string ToString() =>
        VerifierLog.Length == 0 ? base.ToString() : base.ToString() + Environment.NewLine + "Verifier log:" + Environment.NewLine + VerifierLog;

    private static List<string> LogLines(string log) =>
        log.Split('\n').Select(l => l.TrimEnd('\r', '\0', ' ')).Where(l => l.Length > 0).ToList();

    private static string BuildMessage(string programName, Errno errno, string log, string? hint)
    {
        var message = new StringBuilder($"Loading program '{programName}' failed: {errno.Describe()}.");
        if (hint is not null)
            message.Append(' ').Append(hint);
        var lines = LogLines(log);
        if (lines.Count > 0)
        {
            var tail = lines.Skip(Math.Max(0, lines.Count - MessageLogLines)).ToList();
            message.Append(" Verifier: ").Append(string.Join(" | ", tail));
            var omitted = lines.Count - tail.Count;
            if (omitted > 0)
                message.Append($" ({omitted} earlier log lines omitted; see VerifierLog.)");
        }
        return message.ToString();
    }
}
