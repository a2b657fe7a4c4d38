using System.Text.RegularExpressions;

namespace OsqueryBpf.KernelMatrix;

/// <summary>
/// Debian's kernels for one architecture, through apt with a private state under the cache folder: its own
/// sources list, lists, package cache and (empty) configuration folders, so the host's apt configuration is
/// neither read nor changed. Kernel packages are downloaded with apt-get download and unpacked with
/// dpkg-deb -x, never installed; only vmlinuz is kept, one folder per package version.
/// </summary>
internal sealed partial class DebianArchive
{
    /// <summary>
    /// The suites that serve kernels (shared/design/kernel.md, "Other kernels"): Debian 11 to 14, sid and
    /// experimental. Not served: buster and bullseye-backports (404).
    /// </summary>
    public static IReadOnlyList<(string Uri, string Suite)> Suites { get; } =
    [
        ("http://deb.debian.org/debian", "bullseye"),
        ("http://deb.debian.org/debian-security", "bullseye-security"),
        ("http://deb.debian.org/debian", "bookworm"),
        ("http://deb.debian.org/debian-security", "bookworm-security"),
        ("http://deb.debian.org/debian", "bookworm-backports"),
        ("http://deb.debian.org/debian", "trixie"),
        ("http://deb.debian.org/debian-security", "trixie-security"),
        ("http://deb.debian.org/debian", "trixie-backports"),
        ("http://deb.debian.org/debian", "forky"),
        ("http://deb.debian.org/debian", "sid"),
        ("http://deb.debian.org/debian", "experimental"),
    ];

    private const string Keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
    private readonly GuestArchitecture _arch;
    private readonly Action<string> _log;
    private readonly IReadOnlyList<(string Uri, string Suite)> _suites;
    private readonly string _stateFolder;

    /// <param name="cacheRoot">The cache (<see cref="DefaultCache"/>); this architecture's folder is below it.</param>
    /// <param name="arch">The architecture whose packages apt lists and fetches.</param>
    /// <param name="log">Progress lines.</param>
    /// <param name="suites">The suites to list; <see cref="Suites"/> (every suite that serves kernels) when null.</param>
    /// <param name="stateFolder">The private apt state's folder below <see cref="Root"/>; one per set of suites.</param>
    public DebianArchive(string cacheRoot, GuestArchitecture arch, Action<string>? log = null,
        IReadOnlyList<(string Uri, string Suite)>? suites = null, string stateFolder = "apt")
    {
        _arch = arch;
        _log = log ?? (_ => { });
        _suites = suites ?? Suites;
        _stateFolder = stateFolder;
        Root = Path.Combine(cacheRoot, arch.Name);
    }

    /// <summary>The default cache: $OSQUERY_BPF_KERNEL_CACHE, else ~/.cache/osquery-bpf/kernels (outside the source tree, kept between runs).</summary>
    public static string DefaultCache =>
        Environment.GetEnvironmentVariable("OSQUERY_BPF_KERNEL_CACHE") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "osquery-bpf", "kernels");

    /// <summary>This architecture's folder in the cache.</summary>
    public string Root { get; }

    private string AptDir => Path.Combine(Root, _stateFolder);

    /// <summary>Problems apt-get update reported for single suites (the others are still usable).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Refreshes the private package lists. Throws <see cref="ArchiveUnavailableException"/> when no list could be fetched.</summary>
    public void Update()
    {
        using var _ = CacheLock.Take(Root);
        Directory.CreateDirectory(Path.Combine(AptDir, "lists", "partial"));
        Directory.CreateDirectory(Path.Combine(AptDir, "cache", "archives", "partial"));
        Directory.CreateDirectory(Path.Combine(AptDir, "empty"));
        File.WriteAllText(Path.Combine(AptDir, "status"), "");
        // Read before anything else (APT_CONFIG), so the host's apt.conf.d, sources.list.d and preferences.d
        // are never consulted.
        var empty = Path.Combine(AptDir, "empty");
        File.WriteAllText(Path.Combine(AptDir, "apt.conf"),
            $"Dir::Etc::Parts \"{empty}\";\nDir::Etc::SourceParts \"{empty}\";\nDir::Etc::PreferencesParts \"{empty}\";\n");
        File.WriteAllLines(Path.Combine(AptDir, "sources.list"),
            _suites.Select(s => $"deb [arch={_arch.DebianArch} signed-by={Keyring}] {s.Uri} {s.Suite} main"));
        _log($"apt-get update ({_suites.Count} suites) in {AptDir}");
        var result = Apt("apt-get", "update");
        Warnings.Clear();
        foreach (var line in (result.Stdout + "\n" + result.Stderr).Split('\n'))
        {
            if (line.StartsWith("W:", StringComparison.Ordinal) || line.StartsWith("E:", StringComparison.Ordinal) || line.StartsWith("Err:", StringComparison.Ordinal))
                Warnings.Add(line.Trim());
        }
        foreach (var warning in Warnings)
            _log("apt-get update: " + warning);
        var lists = Directory.GetFiles(Path.Combine(AptDir, "lists"), "*_Packages*");
        if (lists.Length == 0)
            throw new ArchiveUnavailableException($"apt-get update fetched no package list (exit {result.ExitCode}): {result.Tail()}");
        if (result.ExitCode != 0)
            _log($"apt-get update exited with {result.ExitCode}; using the lists it has: {result.Tail(3)}");
        // One package cache for the apt-cache calls below (each would otherwise rebuild it from all lists).
        var caches = Apt("apt-cache", "gencaches");
        if (caches.ExitCode != 0)
            throw new InvalidOperationException($"apt-cache gencaches failed: {caches.Tail()}");
    }

    /// <summary>Every kernel build the lists name, with the suites that serve it. Call <see cref="Update"/> first.</summary>
    public IReadOnlyList<DebianKernel> Kernels()
    {
        var names = Apt("apt-cache", "pkgnames", "linux-");
        var packages = names.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(n => KernelPackageName(_arch.KernelFlavour).IsMatch(n)).Order(StringComparer.Ordinal).ToList();
        if (packages.Count == 0)
            throw new ArchiveUnavailableException($"The package lists name no {_arch.KernelFlavour} kernel." +
                (Warnings.Count > 0 ? " apt-get update said: " + string.Join(" / ", Warnings.Take(5)) : ""));
        var show = Apt("apt-cache", ["show", .. packages]);
        var madison = Apt("apt-cache", ["madison", .. packages]);
        return ParseKernels(_arch.KernelFlavour, show.Stdout, madison.Stdout);
    }

    /// <summary>
    /// Builds the kernel list from apt-cache show (package, version, depends) and apt-cache madison (suites).
    /// A linux-image package that depends on another linux-image of the flavour is a meta package (such as
    /// linux-image-6.12-cloud-amd64), not a kernel.
    /// </summary>
    public static IReadOnlyList<DebianKernel> ParseKernels(string flavour, string show, string madison)
    {
        var suites = new Dictionary<(string, string), SortedSet<string>>();
        foreach (var line in madison.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('|', StringSplitOptions.TrimEntries);
            if (fields.Length < 3)
                continue;
            var source = fields[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (source.Length < 2)
                continue;
            var key = (fields[0], fields[1]);
            if (!suites.TryGetValue(key, out var set))
                suites[key] = set = new SortedSet<string>(StringComparer.Ordinal);
            set.Add(source[1].Split('/')[0]);
        }

        var pattern = KernelPackageName(flavour);
        var stanzas = show.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(ParseStanza).Where(s => s.ContainsKey("Package")).ToList();
        var binaries = stanzas.Where(s => s["Package"].StartsWith("linux-binary-", StringComparison.Ordinal))
            .Select(s => (s["Package"], s.GetValueOrDefault("Version", ""))).ToHashSet();
        var kernels = new Dictionary<(string, string), DebianKernel>();
        foreach (var stanza in stanzas)
        {
            var package = stanza["Package"];
            var match = pattern.Match(package);
            if (!match.Success || match.Groups["kind"].Value != "image" || !stanza.TryGetValue("Version", out var version))
                continue;
            var abi = match.Groups["abi"].Value;
            var depends = stanza.GetValueOrDefault("Depends", "");
            var isMeta = Regex.Matches(depends, @"linux-image-(\S+?)-" + Regex.Escape(flavour) + @"\b")
                .Any(m => m.Groups[1].Value != abi);
            if (isMeta || kernels.ContainsKey((package, version)))
                continue;
            var binary = $"linux-binary-{abi}-{flavour}";
            kernels[(package, version)] = new DebianKernel(package, abi, DebianVersion.Parse(version),
                [.. suites.GetValueOrDefault((package, version)) ?? []], binaries.Contains((binary, version)) ? binary : package);
        }
        return kernels.Values.OrderBy(k => k.Version).ThenBy(k => k.ImagePackage, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The kernel image of <paramref name="kernel"/>, downloaded and unpacked into the cache on first use.
    /// Throws <see cref="ArchiveUnavailableException"/> when the archive does not deliver the package.
    /// </summary>
    public string Fetch(DebianKernel kernel)
    {
        var folder = Path.Combine(Root, "images", $"{kernel.ImagePackage}_{kernel.Label}");
        var image = Path.Combine(folder, "vmlinuz");
        if (File.Exists(image))
            return image;
        using var _ = CacheLock.Take(Root);
        if (File.Exists(image))
            return image;
        var work = Path.Combine(Root, "download-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            _log($"downloading {kernel.KernelPackage} {kernel.Version}");
            var download = Apt("apt-get", ["download", $"{kernel.KernelPackage}={kernel.Version}"], work);
            var deb = Directory.GetFiles(work, "*.deb").FirstOrDefault();
            if (download.ExitCode != 0 || deb is null)
                throw new ArchiveUnavailableException($"apt-get download {kernel.KernelPackage}={kernel.Version} failed: {download.Tail(3)}");
            var unpacked = Path.Combine(work, "unpacked");
            var extract = Tool.Run("dpkg-deb", ["-x", deb, unpacked]);
            if (extract.ExitCode != 0)
                throw new InvalidOperationException($"dpkg-deb -x {Path.GetFileName(deb)} failed: {extract.Tail(3)}");
            // boot/vmlinuz-<abi> up to 7.1; usr/lib/modules/<abi>/vmlinuz from 7.2.
            var found = new[] { Path.Combine(unpacked, "boot", "vmlinuz-" + kernel.Release), Path.Combine(unpacked, "usr", "lib", "modules", kernel.Release, "vmlinuz"),
                    Path.Combine(unpacked, "lib", "modules", kernel.Release, "vmlinuz") }
                .FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException($"{Path.GetFileName(deb)} has no vmlinuz for {kernel.Release}.");
            Directory.CreateDirectory(folder);
            File.Move(found, image + ".partial", overwrite: true);
            File.Move(image + ".partial", image);
            return image;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// <paramref name="packages"/> and every package they depend on (as apt resolves them for a system with
    /// nothing installed), downloaded and unpacked with dpkg-deb -x into one folder below <see cref="Root"/>,
    /// once: a later call returns the folder without touching the network. Nothing is installed or run, and
    /// maintainer scripts are ignored, so this works for any architecture. Call <see cref="Update"/> first
    /// (only when <see cref="Unpacked"/> says the folder is not there yet). Symbolic links in the folder keep
    /// their targets as the packages have them (often absolute, meaning inside the root).
    /// </summary>
    public string Unpack(IReadOnlyList<string> packages, string folderName)
    {
        var folder = Path.Combine(Root, folderName);
        if (Unpacked(folderName) is { } done)
            return done;
        using var _ = CacheLock.Take(Root);
        if (Unpacked(folderName) is { } raced)
            return raced;
        var work = Path.Combine(Root, "download-" + Guid.NewGuid().ToString("N"));
        var archives = Path.Combine(work, "archives");
        Directory.CreateDirectory(Path.Combine(archives, "partial"));
        try
        {
            _log($"downloading {string.Join(", ", packages)} and their dependencies ({_arch.DebianArch})");
            var download = Apt("apt-get",
                ["install", "--download-only", "--yes", "--no-install-recommends", "-o", "Dir::Cache::Archives=" + archives, .. packages], work);
            var debs = Directory.GetFiles(archives, "*.deb");
            if (download.ExitCode != 0 || debs.Length == 0)
                throw new ArchiveUnavailableException($"apt-get install --download-only {string.Join(' ', packages)} failed: {download.Tail(3)}");
            var unpacked = Path.Combine(work, "root");
            foreach (var deb in debs.Order(StringComparer.Ordinal))
            {
                var extract = Tool.Run("dpkg-deb", ["-x", deb, unpacked]);
                if (extract.ExitCode != 0)
                    throw new InvalidOperationException($"dpkg-deb -x {Path.GetFileName(deb)} failed: {extract.Tail(3)}");
            }
            File.WriteAllLines(Path.Combine(unpacked, ".packages"), debs.Select(Path.GetFileName).Order(StringComparer.Ordinal)!);
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
            Directory.Move(unpacked, folder);
            return folder;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The folder <see cref="Unpack"/> made, or null when it is not there yet.</summary>
    public string? Unpacked(string folderName)
    {
        var folder = Path.Combine(Root, folderName);
        return File.Exists(Path.Combine(folder, ".packages")) ? folder : null;
    }

    private Tool.Result Apt(string program, params string[] args) => Apt(program, args, null);

    /// <summary>Runs apt-get or apt-cache on the private state.</summary>
    private Tool.Result Apt(string program, IEnumerable<string> args, string? workingDirectory)
    {
        var options = new[]
        {
            "Dir::Etc::SourceList=" + Path.Combine(AptDir, "sources.list"),
            "Dir::Etc::Preferences=" + Path.Combine(AptDir, "empty", "preferences"),
            "Dir::State::Lists=" + Path.Combine(AptDir, "lists"),
            "Dir::State::Status=" + Path.Combine(AptDir, "status"),
            "Dir::Cache=" + Path.Combine(AptDir, "cache"),
            "APT::Architecture=" + _arch.DebianArch,
            "APT::Architectures::=" + _arch.DebianArch,
            "Acquire::Languages=none",
            // The signatures are checked, but not Valid-Until: sid's and experimental's Release files are valid
            // for a week only, and a mirror that lags a machine's clock would otherwise drop them.
            "Acquire::Check-Valid-Until=false",
            // Downloads land in our own root-owned folders, which apt's _apt sandbox user cannot write.
            "APT::Sandbox::User=root",
        }.SelectMany(o => new[] { "-o", o });
        return Tool.Run(program, [.. options, .. args], workingDirectory, TimeSpan.FromMinutes(10),
            new Dictionary<string, string> { ["APT_CONFIG"] = Path.Combine(AptDir, "apt.conf") });
    }

    private static Dictionary<string, string> ParseStanza(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        string? last = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > 0 && char.IsWhiteSpace(line[0]) && last is not null)
                fields[last] += "\n" + line.Trim();
            else if (line.IndexOf(':') is > 0 and var colon)
                fields[last = line[..colon]] = line[(colon + 1)..].Trim();
        }
        return fields;
    }

    private static Regex KernelPackageName(string flavour) =>
        new($"^linux-(?<kind>image|binary)-(?<abi>[0-9][^ ]*)-{Regex.Escape(flavour)}$", RegexOptions.CultureInvariant);
}
