namespace OsqueryBpf.Bpf.Collections;

/// <summary>How far one program of a collection got.</summary>
public enum ProgramLoadStatus
{
    /// <summary>Not requested (see <see cref="CollectionLoadOptions.Programs"/>).</summary>
    Skipped,
    /// <summary>Refused or not loadable; see <see cref="ProgramLoadResult.Error"/>.</summary>
    Failed,
    /// <summary>Loaded; not attached (attaching was not asked for, or the section names no hook, as for SEC("socket")).</summary>
    Loaded,
    /// <summary>Loaded, but attaching failed; see <see cref="ProgramLoadResult.Error"/>.</summary>
    AttachFailed,
    /// <summary>Loaded and attached.</summary>
    Attached,
}
