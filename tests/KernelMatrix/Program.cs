using OsqueryBpf.KernelMatrix;

// ./build.sh kernels [options] [PATTERN...]: boots Debian's kernels with the guest image and prints the matrix.
var arch = GuestArchitecture.Host;
var patterns = new List<string>();
bool all = false, listOnly = false, host = false;
string cache = DebianArchive.DefaultCache;
string? logs = null;
var options = new Dictionary<string, string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--all": all = true; break;
        case "--list": listOnly = true; break;
        case "--host": host = true; break;
        case "--arch": arch = GuestArchitecture.Find(args[++i]); break;
        case "--cache": cache = args[++i]; break;
        case "--logs": logs = args[++i]; break;
        case "--help" or "-h":
            Console.Out.WriteLine("""
                usage: kernels [--all] [--list] [--host] [--arch x86_64|arm64] [--cache DIR] [--logs DIR] [PATTERN...]

                Boots Debian's cloud kernels under qemu (TCG) with the published extension and the ground-truth
                guest, and prints a table of probes running and checks held per kernel.
                  (no pattern)  every kernel the suites serve today: the newest build of each series in each suite
                  --all         also the older builds the archive still lists
                  PATTERN       a version prefix (6.1 = 6.1.x, 6.12.118), a suite (trixie-backports), a package
                                name, 'newest' (the newest released kernel) or 'ci' (the CI matrix)
                  --list        list the kernels that would be booted, and stop
                  --host        also run the guest program on this machine's kernel
                  --arch        the guests' architecture: x86_64 (amd64) or aarch64 (arm64); this machine's by
                                default. arm64 guests boot Debian's cloud-arm64 kernels under qemu-system-aarch64
                Kernels are cached in $OSQUERY_BPF_KERNEL_CACHE or ~/.cache/osquery-bpf/kernels; console logs go to
                artifacts/kernel-matrix/ (--logs). Exit code 1 when a kernel fails, or is not fetched under CI.
                """);
            return 0;
        default:
            if (args[i].StartsWith('-'))
            {
                Console.Error.WriteLine($"unknown option {args[i]} (--help lists them)");
                return 2;
            }
            patterns.Add(args[i]);
            break;
    }
}
if (arch is null)
{
    Console.Error.WriteLine("No guest architecture is defined for this machine; pass --arch.");
    return 2;
}

var root = FindRepositoryRoot();
logs ??= Path.Combine(root, "artifacts", "kernel-matrix", arch.LogFolder);
var underCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
void Log(string line) => Console.Error.WriteLine(line);

var archive = new DebianArchive(cache, arch, Log);
IReadOnlyList<DebianKernel> chosen;
try
{
    archive.Update();
    var kernels = archive.Kernels();
    chosen = KernelSelection.Match(all ? kernels : KernelSelection.Served(kernels), patterns);
    // A pattern may name an older build that only --all includes.
    if (chosen.Count == 0 && patterns.Count > 0 && !all)
        chosen = KernelSelection.Match(kernels, patterns);
}
catch (ArchiveUnavailableException e)
{
    Console.Error.WriteLine($"Debian's archive is not reachable: {e.Message}");
    return underCi ? 1 : 0;
}
if (chosen.Count == 0)
{
    Console.Error.WriteLine($"No served kernel matches {string.Join(" ", patterns)}.");
    return 1;
}
if (listOnly)
{
    foreach (var kernel in chosen)
        Console.Out.WriteLine(kernel);
    return 0;
}

GuestPrograms programs;
try
{
    programs = GuestPrograms.Published(root, arch, cache, Log);
}
catch (ArchiveUnavailableException e)
{
    Console.Error.WriteLine($"The {arch} guest's busybox and dnsmasq could not be fetched from Debian's archive: {e.Message}");
    return underCi ? 1 : 0;
}
if (programs.Missing() is { } missing)
{
    Console.Error.WriteLine(missing);
    return 1;
}
// --host runs this machine's binaries on this machine's kernel, whatever the guests' architecture.
var hostPrograms = arch == GuestArchitecture.Host ? programs : GuestPrograms.Published(root);
if (host && hostPrograms.Missing() is { } hostMissing)
{
    Console.Error.WriteLine(hostMissing);
    return 1;
}
Directory.CreateDirectory(logs);
var image = Path.Combine(logs, $"guest-{arch.Name}.cpio");
GuestImage.Build(arch, programs, image);
Log($"guest image {image} ({new FileInfo(image).Length / 1024 / 1024} MiB); {chosen.Count} kernels: {string.Join(", ", chosen.Select(k => k.Label))}");

var runner = new MatrixRunner(arch, archive, image, new MatrixOptions { LogDirectory = logs }, Log);
var results = new List<KernelResult>();
if (host)
    results.Add(MatrixRunner.RunOnHost(hostPrograms, Log));
var started = DateTime.UtcNow;
foreach (var kernel in chosen)
    results.Add(runner.Run(kernel));

var table = MatrixTable.Markdown(results);
var failures = MatrixTable.Failures(results);
var summary = $"{DateTime.UtcNow:yyyy-MM-dd}, {arch.Name}, {results.Count} kernels in {(DateTime.UtcNow - started).TotalMinutes:0.0} min";
File.WriteAllText(Path.Combine(logs, "matrix.md"), summary + "\n\n" + table + "\n" + failures);
Console.Out.WriteLine();
Console.Out.WriteLine(summary);
Console.Out.WriteLine();
Console.Out.Write(table);
if (failures.Length > 0)
{
    Console.Out.WriteLine();
    Console.Out.Write(failures);
}
var failed = results.Any(r => r.Outcome is Outcome.Failed or Outcome.KernelDied || (underCi && r.Outcome == Outcome.Unavailable));
return failed ? 1 : 0;

static string FindRepositoryRoot()
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Extension.sln")))
                return dir.FullName;
        }
    }
    throw new InvalidOperationException("Extension.sln not found above the current directory.");
}
