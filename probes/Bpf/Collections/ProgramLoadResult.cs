using OsqueryBpf.Bpf.Links;
using OsqueryBpf.Bpf.Object.Core;
using OsqueryBpf.Bpf.Programs;

namespace OsqueryBpf.Bpf.Collections;

/// <summary>What happened to one program of a collection.</summary>
public sealed class ProgramLoadResult
{
    internal ProgramLoadResult(string name, string sectionName)
    {
        Name = name;
        SectionName = sectionName;
    }

    /// <summary>The program's name.</summary>
    public string Name { get; }

    /// <summary>Its ELF section.</summary>
    public string SectionName { get; }

    /// <summary>How far it got.</summary>
    public ProgramLoadStatus Status { get; internal set; }

    /// <summary>The loaded program, when <see cref="Status"/> is Loaded, AttachFailed or Attached.</summary>
    public BpfProgram? Program { get; internal set; }

    /// <summary>The attachment, when <see cref="Status"/> is Attached.</summary>
    public IBpfLink? Link { get; internal set; }

    /// <summary>Why it failed to load or attach.</summary>
    public Exception? Error { get; internal set; }

    /// <summary>Time spent relocating (CO-RE) and patching the program.</summary>
    public TimeSpan RelocationTime { get; internal set; }

    /// <summary>Time spent in BPF_PROG_LOAD (the verifier), including a retry with a log after a failure.</summary>
    public TimeSpan LoadTime { get; internal set; }

    /// <summary>Time spent attaching.</summary>
    public TimeSpan AttachTime { get; internal set; }

    /// <summary>The CO-RE relocations applied to it, including poisoned ones.</summary>
    public IReadOnlyList<CoreFixup> CoreFixups { get; internal set; } = [];

    /// <inheritdoc />
    public override string ToString() => Error is null ? $"{Name}: {Status}" : $"{Name}: {Status}: {Error.Message}";
}
