namespace OsqueryBpf.Osquery.Server;

/// <summary>Why <see cref="ExtensionServer.RunAsync"/> returned.</summary>
public enum ExtensionExitReason
{
    /// <summary>osqueryd called shutdown(); the reply was sent. Exit code 0.</summary>
    ShutdownRequested,

    /// <summary>The caller cancelled (SIGTERM, SIGINT); we deregistered. Exit code 0.</summary>
    Cancelled,

    /// <summary>The manager socket vanished or a manager call failed; osqueryd's watcher restarts us. Exit code 0.</summary>
    ManagerGone,

    /// <summary>No manager answered within the timeout. Exit code 1.</summary>
    ManagerUnavailable,

    /// <summary>osqueryd refused the registration (for example a table name conflict). Exit code 1.</summary>
    RegistrationRefused,

    /// <summary>osqueryd kept answering "Duplicate extension registered" until the timeout. Exit code 1.</summary>
    DuplicateName,

    /// <summary>The extension socket could not be created. Exit code 1.</summary>
    ListenFailed,
}
