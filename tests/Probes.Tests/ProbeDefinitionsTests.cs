using OsqueryBpf.Bpf.Object;
using Xunit;

namespace OsqueryBpf.Probes.Tests;

/// <summary>The definitions against the compiled objects: names of programs, maps and constants, and sizes.</summary>
public sealed class ProbeDefinitionsTests
{
    public static TheoryData<string> Probes => new(ProbeDefinitions.All.Select(p => p.Name));

    private static ProbeDefinition Probe(string name) => ProbeDefinitions.All.Single(p => p.Name == name);

    [Theory]
    [MemberData(nameof(Probes))]
    public void Every_hook_names_a_program_in_the_object_with_that_section(string name)
    {
        var probe = Probe(name);
        var spec = CollectionSpec.Parse(probe.ReadObject());
        foreach (var hook in probe.Hooks)
        {
            foreach (var programName in hook.ProgramNames)
            {
                Assert.True(spec.Programs.TryGetValue(programName, out var program), $"No program '{programName}'.");
                Assert.Equal(hook.ToString(), program.SectionName);
            }
        }
        // And no program is left without a hook.
        Assert.Equal(spec.Programs.Keys.Order(), probe.Hooks.SelectMany(h => h.ProgramNames).Order());
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
        var settings = new ProbeSettings
        {
            IncludePathPrefixes = ["/etc/", "/home/"],
            ExcludePathPrefixes = ["/proc/"],
            RecordForks = true,
            IgnoredProcessId = 4321,
            RingWakeupBytes = 65536,
        };
        var constants = probe.BuildConstants(settings);
        Assert.NotEmpty(constants);
        foreach (var (variable, value) in constants)
            spec.SetConstant(variable, value); // throws on a wrong name, section or size
        Assert.Contains(constants, c => c.Key == "ignore_tgid" && BitConverter.ToUInt32(c.Value) == 4321);
    }

    [Fact]
    public void Prefixes_are_laid_out_in_fixed_slots()
    {
        var constants = ProbeDefinitions.File.BuildConstants(new ProbeSettings { IncludePathPrefixes = ["/a", "/bc"] })
            .ToDictionary(c => c.Key, c => c.Value);
        Assert.Equal(2u, BitConverter.ToUInt32(constants["include_prefix_count"]));
        Assert.Equal(new byte[] { 2, 3, 0, 0, 0, 0, 0, 0 }, constants["include_prefix_lens"]);
        Assert.Equal("/bc"u8.ToArray(), constants["include_prefixes"].AsSpan(64, 3).ToArray());
        Assert.Equal(0u, BitConverter.ToUInt32(constants["exclude_prefix_count"]));
    }

    [Fact]
    public void Settings_out_of_range_are_refused_with_the_setting_named()
    {
        Assert.Contains("MaxArgvBytes", Assert.Throws<ArgumentException>(() => new ProbeSettings { MaxArgvBytes = 100_000 }.Validate()).Message);
        Assert.Contains("MaxArgs", Assert.Throws<ArgumentException>(() => new ProbeSettings { MaxArgs = 0 }.Validate()).Message);
        var nine = Enumerable.Range(0, 9).Select(i => "/p" + i).ToArray();
        Assert.Contains("at most 8", Assert.Throws<ArgumentException>(() => new ProbeSettings { ExcludePathPrefixes = nine }.Validate()).Message);
        Assert.Contains("1 to 64 bytes", Assert.Throws<ArgumentException>(() => new ProbeSettings { IncludePathPrefixes = [new string('x', 65)] }.Validate()).Message);
    }
}
