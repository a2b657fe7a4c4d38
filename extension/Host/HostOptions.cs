using System.Globalization;

namespace OsqueryBpf.Host;

/// <summary>
/// The command line as osqueryd passes it to an autoloaded extension:
/// <c>[--verbose] --socket PATH --timeout N --interval N</c>, values as separate arguments
/// (osquery-protocol.md 4.1). The <c>--flag=value</c> form and osquery's long names
/// (<c>--extensions_socket</c> and so on) are accepted too. Unknown flags produce a warning, never a failure,
/// because osqueryd may pass flags a given extension does not know.
/// </summary>
internal sealed class HostOptions
{
    /// <summary>osqueryd's default extensions socket on Linux.</summary>
    public const string DefaultSocketPath = "/var/osquery/osquery.em";

    public string SocketPath { get; private set; } = DefaultSocketPath;

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(3);

    public TimeSpan Interval { get; private set; } = TimeSpan.FromSeconds(3);

    public bool Verbose { get; private set; }

    public bool ShowHelp { get; private set; }

    public bool ShowVersion { get; private set; }

    /// <summary>The extension's settings file (--config); null looks in the environment and the default place.</summary>
    public string? ConfigPath { get; private set; }

    /// <summary>The event database (--database), overriding the settings file.</summary>
    public string? DatabasePath { get; private set; }

    /// <summary>Run without osqueryd and answer SQL (--standalone, implied by --query).</summary>
    public bool Standalone { get; private set; }

    /// <summary>The SQL to answer in standalone mode before exiting (--query); null gives an interactive prompt.</summary>
    public string? Query { get; private set; }

    /// <summary>Seconds to collect events before answering --query.</summary>
    public TimeSpan Collect { get; private set; }

    /// <summary>Print standalone results as JSON lines instead of a table (--json).</summary>
    public bool Json { get; private set; }

    /// <summary>
    /// Read the database another process writes instead of writing it (--read-only): no probes run, nothing is
    /// written, and the tables show what the writer stores.
    /// </summary>
    public bool ReadOnly { get; private set; }

    /// <summary>Problems that do not stop the extension (unknown flags), one sentence each.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Parses <paramref name="args"/>; returns null and sets <paramref name="error"/> on a bad value.</summary>
    public static HostOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new HostOptions();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-'))
            {
                options.Warnings.Add($"Ignoring unexpected argument '{arg}'.");
                continue;
            }
            var body = arg.TrimStart('-');
            string? inlineValue = null;
            var equals = body.IndexOf('=');
            if (equals >= 0)
            {
                inlineValue = body[(equals + 1)..];
                body = body[..equals];
            }

            switch (body)
            {
                case "help" or "h":
                    options.ShowHelp = true;
                    break;
                case "version":
                    options.ShowVersion = true;
                    break;
                case "verbose":
                    options.Verbose = inlineValue is null || inlineValue is "true" or "1";
                    break;
                case "socket" or "extensions_socket":
                    if (!TakeValue(args, ref i, arg, inlineValue, out var socket, out error))
                        return null;
                    options.SocketPath = socket;
                    break;
                case "timeout" or "extensions_timeout":
                    if (!TakeSeconds(args, ref i, arg, inlineValue, out var timeout, out error))
                        return null;
                    options.Timeout = timeout;
                    break;
                case "interval" or "extensions_interval":
                    if (!TakeSeconds(args, ref i, arg, inlineValue, out var interval, out error))
                        return null;
                    options.Interval = interval;
                    break;
                case "config":
                    if (!TakeValue(args, ref i, arg, inlineValue, out var config, out error))
                        return null;
                    options.ConfigPath = config;
                    break;
                case "database":
                    if (!TakeValue(args, ref i, arg, inlineValue, out var database, out error))
                        return null;
                    options.DatabasePath = database;
                    break;
                case "standalone":
                    options.Standalone = true;
                    break;
                case "query":
                    if (!TakeValue(args, ref i, arg, inlineValue, out var query, out error))
                        return null;
                    options.Query = query;
                    options.Standalone = true;
                    break;
                case "collect":
                    if (!TakeSeconds(args, ref i, arg, inlineValue, out var collect, out error))
                        return null;
                    options.Collect = collect;
                    break;
                case "json":
                    options.Json = true;
                    break;
                case "read-only" or "read_only":
                    options.ReadOnly = true;
                    break;
                default:
                    // A following bare word is taken as the unknown flag's value, so it does not become a stray argument.
                    if (inlineValue is null && i + 1 < args.Count && !args[i + 1].StartsWith('-'))
                        i++;
                    options.Warnings.Add($"Ignoring unknown flag '{arg}'.");
                    break;
            }
        }
        return options;
    }

    private static bool TakeValue(IReadOnlyList<string> args, ref int i, string flag, string? inlineValue, out string value, out string? error)
    {
        error = null;
        if (inlineValue is not null)
        {
            value = inlineValue;
            return true;
        }
        if (i + 1 < args.Count)
        {
            value = args[++i];
            return true;
        }
        value = "";
        error = $"The flag '{flag}' needs a value.";
        return false;
    }

    private static bool TakeSeconds(IReadOnlyList<string> args, ref int i, string flag, string? inlineValue, out TimeSpan value, out string? error)
    {
        value = default;
        if (!TakeValue(args, ref i, flag, inlineValue, out var text, out error))
            return false;
        // osqueryd passes whole seconds (its flags are strings parsed with atoi); fractions are accepted for tests.
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) || seconds > 86_400)
        {
            error = $"The flag '{flag}' needs a number of seconds, not '{text}'.";
            return false;
        }
        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    public const string Usage = """
        Usage: osquery-bpf.ext [--socket PATH] [--timeout SECONDS] [--interval SECONDS] [--verbose] [--config FILE]
               osquery-bpf.ext --standalone [--query SQL [--collect SECONDS]] [--json] [--database PATH] [--config FILE]

        An osquery extension serving eBPF event tables. osqueryd starts it with these flags when it is listed
        in --extensions_autoload; values may be given as separate arguments or as --flag=value.

          --socket PATH        osqueryd's extensions socket (default /var/osquery/osquery.em)
          --timeout SECONDS    how long to wait for the socket and retry registration (default 3)
          --interval SECONDS   how often to check that osqueryd is alive and lists us (default 3)
          --verbose            log debug messages to stderr
          --config FILE        the extension's settings (default $OSQUERY_BPF_CONFIG, else /etc/osquery-bpf/osquery-bpf.json
                               if present; see docs/configuration.md)
          --database PATH      the event database, or :memory: (default /var/lib/osquery-bpf/events.db; in
                               standalone mode :memory:)
          --read-only          read the database another osquery-bpf writes instead of writing it: no probes,
                               nothing written (standalone mode does this by itself when the database is in use)

        Standalone mode runs the probes and the store without osqueryd and answers SQL over the same tables:
          --standalone         an interactive prompt (end statements with ';', .tables lists tables, .quit leaves)
          --query SQL          answer one statement and exit
          --collect SECONDS    with --query: collect events this long after the probes start, then answer
          --json               print JSON lines instead of a table
          --help               print this help
          --version            print the version and the source commit it was built from

        Signals: SIGTERM, SIGINT and SIGQUIT stop cleanly (deregister, remove the socket); SIGHUP reads the settings
        file again and applies max_rows and max_age_seconds (other keys need a restart); SIGUSR1 logs the counters;
        SIGUSR2 is ignored.

        Exit codes:
          0  stopped normally: shutdown() from osqueryd, SIGTERM/SIGINT/SIGQUIT, or osqueryd went away
          1  could not serve: no manager within --timeout, registration refused, the socket failed, the
             settings file was invalid, the database is in use by another writer, or (standalone) the query failed
          2  bad command line
        """;
}
