namespace OsqueryBpf.TestSupport;

/// <summary>Locates the repository and its published artifacts from a test's working directory.</summary>
public static class RepositoryPaths
{
    /// <summary>The repository root: the nearest ancestor folder that holds Extension.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The NativeAOT binary that README's run command publishes.</summary>
    public static string PublishedExtension => Path.Combine(Root, "artifacts", "osquery-bpf.ext");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Extension.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Extension.sln not found above " + AppContext.BaseDirectory);
    }
}
