using System.Text.Json;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Probes.Runtime;
using OsqueryBpf.Tables.Schema;
using Xunit;

namespace OsqueryBpf.Probes.Tests;

/// <summary>
/// The catalog's probes against their compiled objects and each other: hooks from the objects' sections, ring and loss
/// maps by convention, constants that fit the objects' variables, one table per event type, settings keys unique.
/// </summary>
public sealed class ProbeCatalogTests
{
    public static TheoryData<string> Probes => new(ProbeCatalog.All.Select(p => p.Name));

    private static ProbeDefinition Probe(string name) => ProbeCatalog.Find(name)!;

    [Theory]
    [MemberData(nameof(Probes))]
    public void Every_program_of_the_object_serves_exactly_one_hook_named_by_its_section(string name)
    {
        var probe = Probe(name);
        var spec = CollectionSpec.Parse(probe.ReadObject());
        foreach (var hook in probe.Hooks)
        {
            foreach (var programName in hook.ProgramNames)
            {
                Assert.True(spec.Programs.TryGetValue(programName, out var program), $"No program '{programName}'.");
                var section = program.SectionName == "socket" ? "socket/AF_PACKET" : program.SectionName;
                Assert.Equal(hook.ToString(), section);
            }
        }
        Assert.Equal(spec.Programs.Keys.Order(), probe.Hooks.SelectMany(h => h.ProgramNames).Order());
    }

    [Fact]
    public void A_declaration_that_names_no_program_is_refused()
    {
        var broken = new ProbeDefinition
        {
            Name = "file",
            Tables = [],
            HookDeclarations = [new("sys_exit_no_such_syscall") { Optional = true }],
            SettingsJson = FileProbe.Definition.SettingsJson,
            DefaultSettings = () => new FileSettings(),
            CreateDecoder = FileProbe.Definition.CreateDecoder,
        };
        var error = Assert.Throws<InvalidOperationException>(() => broken.Hooks);
        Assert.Contains("sys_exit_no_such_syscall", error.Message);
    }

    [Theory]
    [MemberData(nameof(Probes))]
    public void Ring_and_lost_maps_exist(string name)
    {
        var probe = Probe(name);
        var spec = CollectionSpec.Parse(probe.ReadObject());
        Assert.Equal(MapType.RingBuf, spec.Maps[probe.RingMap].Type);
        var lost = spec.Maps[probe.LostMap];
        Assert.Equal(MapType.PerCpuArray, lost.Type);
        Assert.Equal(8u, lost.ValueSize);
    }

    [Theory]
    [MemberData(nameof(Probes))]
    public void Constants_fit_the_objects_variables(string name)
    {
        var probe = Probe(name);
        var spec = CollectionSpec.Parse(probe.ReadObject());
        var settings = name switch
        {
            "process" => new ProcessSettings { RecordForks = true },
            "file" => new FileSettings { FileIncludePrefixes = ["/etc/", "/home/"], FileExcludePrefixes = ["/proc/"] },
            _ => probe.DefaultSettings(),
        };
        var context = new ProbeContext { IgnoredProcessId = 4321, RingWakeupBytes = 65536 };
        var constants = probe.Constants(settings, context, FakeKernel.Linux616).ToList();
        foreach (var (variable, value) in constants)
            spec.SetConstant(variable, value); // throws on a wrong name, section or size
        Assert.Contains(constants, c => c.Key == "ring_wakeup_bytes" && BitConverter.ToUInt32(c.Value) == 65536);
        Assert.Equal(probe.IgnoresOwnProcess, constants.Any(c => c.Key == "ignore_tgid" && BitConverter.ToUInt32(c.Value) == 4321));
    }

    [Fact]
    public void Every_event_type_has_exactly_one_table_and_every_table_one_name()
    {
        var tables = ProbeCatalog.All.SelectMany(p => p.Tables).ToList();
        Assert.All(tables, t => Assert.True(t.IsEvented && t.EventType is not null, $"{t.Name} is not an event table."));
        Assert.Equal(tables.Count, tables.Select(t => t.EventType).Distinct().Count());
        Assert.Equal(tables.Count, tables.Select(t => t.Name).Append(StatusTables.Probes.Name).Distinct().Count() - 1);
        Assert.Equal(ProbeCatalog.Tables, tables);
    }

    [Fact]
    public void Probe_names_are_unique_and_settings_keys_belong_to_one_probe()
    {
        Assert.Equal(ProbeCatalog.All.Count, ProbeCatalog.All.Select(p => p.Name).Distinct().Count());
        var keys = ProbeCatalog.All.SelectMany(p => p.SettingsJson.Properties.Select(q => (Key: q.Name, Probe: p.Name))).ToList();
        var shared = keys.GroupBy(k => k.Key).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(shared);
    }

    [Theory]
    [MemberData(nameof(Probes))]
    public void Settings_are_read_from_the_flat_settings_object_by_their_own_keys(string name)
    {
        var probe = Probe(name);
        using var document = JsonDocument.Parse("""{ "database": ":memory:", "max_args": 7, "file_include_prefixes": ["/etc/"] }""");
        var settings = probe.ReadSettings(document.RootElement);
        Assert.IsType(probe.DefaultSettings().GetType(), settings);
        if (settings is ProcessSettings process)
            Assert.Equal(7, process.MaxArgs);
        if (settings is FileSettings file)
            Assert.Equal(["/etc/"], file.FileIncludePrefixes);
    }

    [Fact]
    public void Prefixes_are_not_handed_to_the_kernel()
    {
        // The kernel would compare them with the process's text, which crooked paths walk around (FilePathFilter).
        var constants = FileProbe.Definition.BuildConstants(new FileSettings { FileIncludePrefixes = ["/a", "/bc"], FileExcludePrefixes = ["/p"] })
            .ToDictionary(c => c.Key, c => c.Value);
        Assert.DoesNotContain(constants.Keys, k => k.Contains("prefix", StringComparison.Ordinal));
        Assert.Contains("record_read_opens", constants.Keys);
    }

    [Fact]
    public void Settings_out_of_range_are_refused_with_the_key_named()
    {
        Assert.Contains("max_argv_bytes", Assert.Throws<ArgumentException>(() => new ProcessSettings { MaxArgvBytes = 100_000 }.Validate()).Message);
        Assert.Contains("max_args", Assert.Throws<ArgumentException>(() => new ProcessSettings { MaxArgs = 0 }.Validate()).Message);
        var nine = Enumerable.Range(0, 9).Select(i => "/p" + i).ToArray();
        Assert.Contains("at most 8", Assert.Throws<ArgumentException>(() => new FileSettings { FileExcludePrefixes = nine }.Validate()).Message);
        Assert.Contains("1 to 64 bytes", Assert.Throws<ArgumentException>(() => new FileSettings { FileIncludePrefixes = [new string('x', 65)] }.Validate()).Message);
    }
}
