using OsqueryBpf.Osquery.Server;

namespace OsqueryBpf.Host;

/// <summary>The process exit codes (also listed in --help).</summary>
internal static class ExitCodes
{
    /// <summary>Stopped normally: shutdown(), a signal, or osqueryd went away (its watcher restarts us).</summary>
    public const int Success = 0;

    /// <summary>Could not serve: no manager, refused registration, socket failure.</summary>
    public const int Failure = 1;

    /// <summary>Bad command line.</summary>
    public const int Usage = 2;

    public static int From(ExtensionExitReason reason) => reason switch
    {
        ExtensionExitReason.ShutdownRequested or ExtensionExitReason.Cancelled or ExtensionExitReason.ManagerGone => Success,
        _ => Failure,
    };
}
