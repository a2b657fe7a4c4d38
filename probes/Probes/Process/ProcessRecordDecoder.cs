using OsqueryBpf.Containers.Attribution;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using OsqueryBpf.Events;
using OsqueryBpf.Probes.Decoding;
using OsqueryBpf.Probes.Runtime;

namespace OsqueryBpf.Probes;

/// <summary>Decodes process.bpf.c records (exec, exit, fork) into <see cref="ProcessEvent"/>s.</summary>
/// <remarks>
/// Exit rows: <see cref="ProcessEvent.ExitCode"/> is the exit code (0-255) for a normal exit and the
/// negated signal number for a process killed by a signal (-9 for SIGKILL), as Python's returncode;
/// <see cref="ProcessEvent.Duration"/> is the process lifetime. Exit rows take path and cwd from the process's last
/// exec that this decoder saw (<see cref="ProcessImages"/>), or its parent's for a fork that did not exec; without
/// either they are empty with path_resolved -1. Fork rows have no path, cwd or argv.
/// </remarks>
public sealed class ProcessRecordDecoder : IRecordDecoder
{
    private readonly ProcessSettings _settings;
    private readonly BootClock _clock;
    private readonly EscapedText _text = new();
    private readonly ContainerMap _containers;
    private readonly List<string> _args = new();
    private readonly ProcessImages _images;

    /// <summary>
    /// A decoder applying <paramref name="settings"/> (argument limits), converting times with <paramref name="clock"/>,
    /// naming containers with <paramref name="containers"/> and telling <paramref name="images"/> (the probes'
    /// <see cref="ProbeContext.Images"/>; default: its own) what each process runs.
    /// </summary>
    public ProcessRecordDecoder(ProcessSettings settings, BootClock clock, ContainerMap? containers = null, ProcessImages? images = null)
    {
        _settings = settings;
        _clock = clock;
        _containers = containers ?? new ContainerMap(); // alone (tests, tools): walks cgroupfs
        _images = images ?? new ProcessImages();
    }

    /// <inheritdoc />
    public bool TryDecode(ReadOnlySpan<byte> record, [NotNullWhen(true)] out Event? evt, [NotNullWhen(false)] out string? error)
    {
        evt = null;
        if (!HeaderDecoding.TryRead(record, out var header))
        {
            error = $"A process record of {record.Length} bytes is shorter than the {EventHeader.Size}-byte header.";
            return false;
        }
        if (header.RecordSize > record.Length)
        {
            error = $"A process record says it has {header.RecordSize} bytes but the ring gave {record.Length}.";
            return false;
        }
        switch ((RecordKind)header.Kind)
        {
            case RecordKind.ProcessExec:
                return TryDecodeExec(record, header, out evt, out error);
            case RecordKind.ProcessExit:
                return TryDecodeExit(record, header, out evt, out error);
            case RecordKind.ProcessFork:
                return TryDecodeFork(record, header, out evt, out error);
            default:
                error = $"A process record has kind {header.Kind}, which is not an exec (1), exit (2) or fork (3).";
                return false;
        }
    }

    private bool TryDecodeExec(ReadOnlySpan<byte> record, in EventHeader header, out Event? evt, out string? error)
    {
        evt = null;
        if (record.Length < ExecRecordLayout.FixedSize)
        {
            error = $"An exec record of {record.Length} bytes is shorter than its {ExecRecordLayout.FixedSize}-byte fixed part.";
            return false;
        }
        var fixedPart = MemoryMarshal.Read<ExecRecordLayout>(record);
        var data = record[ExecRecordLayout.FixedSize..];
        long needed = (long)fixedPart.PathLength + fixedPart.CwdLength + fixedPart.ArgvLength;
        if (needed > data.Length)
        {
            error = $"An exec record's path, cwd and argv need {needed} bytes but only {data.Length} follow its fixed part.";
            return false;
        }

        var path = data[..fixedPart.PathLength];
        var cwd = data.Slice(fixedPart.PathLength, fixedPart.CwdLength);
        var argv = data.Slice(fixedPart.PathLength + fixedPart.CwdLength, (int)fixedPart.ArgvLength);

        var process = new ProcessEvent();
        HeaderDecoding.Fill(process, header, record, _clock, _text, _containers);
        process.Syscall = fixedPart.Syscall == 2 ? "execveat" : "execve";
        process.Cwd = _text.Decode(cwd);
        process.Path = _text.Decode(path);
        if (fixedPart.Ret == 0)
        {
            // The dentry walk of the running image's exe_file (a path cut by the walk's limits is not absolute).
            process.PathResolved = process.Path.Length > 0 && process.Path[0] == '/' ? 1 : -1;
            _images.OnExec(process.Pid, process.BootTimeNs, process.Path, process.Cwd, process.PathResolved);
        }
        else
        {
            // A failed exec: the filename as the process passed it (made absolute with its cwd or dirfd).
            var (canonical, unresolved) = CanonicalPath.Normalize(process.Path, process.Pid, process.Tid, process.Cwd);
            process.Path = canonical;
            process.PathResolved = unresolved || canonical.Length == 0 || canonical[0] != '/' ? -1 : 0;
        }
        process.Argv = SplitArgv(argv, out bool cut);
        if (cut || (fixedPart.Info & ExecRecordLayout.InfoArgvCut) != 0)
            process.ProbeError = true;
        if ((fixedPart.Info & ExecRecordLayout.InfoArgvCut) == 0)
            process.ArgvSize = fixedPart.ArgvLength; // the kernel did not cut: the record holds argv whole, its size is the kernel's
        process.ExitCode = fixedPart.Ret;
        process.Duration = unchecked((long)fixedPart.DurationNs);
        process.Euid = header.Euid;
        process.Egid = header.Egid;
        process.Auid = header.Auid;
        evt = process;
        error = null;
        return true;
    }

    /// <summary>Splits NUL-ended arguments, keeping at most MaxArgs; a last argument without its NUL was cut.</summary>
    private string[] SplitArgv(ReadOnlySpan<byte> argv, out bool cut)
    {
        cut = false;
        _args.Clear();
        while (!argv.IsEmpty)
        {
            if (_args.Count >= _settings.MaxArgs)
            {
                cut = true;
                break;
            }
            int end = argv.IndexOf((byte)0);
            if (end < 0)
            {
                _args.Add(_text.Decode(argv));
                cut = true;
                break;
            }
            _args.Add(_text.Decode(argv[..end]));
            argv = argv[(end + 1)..];
        }
        return _args.Count == 0 ? Array.Empty<string>() : _args.ToArray();
    }

    private bool TryDecodeExit(ReadOnlySpan<byte> record, in EventHeader header, out Event? evt, out string? error)
    {
        evt = null;
        if (record.Length < ExitRecordLayout.Size)
        {
            error = $"An exit record of {record.Length} bytes is shorter than {ExitRecordLayout.Size} bytes.";
            return false;
        }
        var exit = MemoryMarshal.Read<ExitRecordLayout>(record);
        var process = new ProcessEvent();
        HeaderDecoding.Fill(process, header, record, _clock, _text, _containers);
        process.Syscall = "exit";
        // What it ran: its last exec since it started, else (a fork that never exec'd) its parent's image.
        var startedNs = exit.LifetimeNs > 0 && process.BootTimeNs > exit.LifetimeNs ? process.BootTimeNs - exit.LifetimeNs : 0;
        if (_images.TryGet(process.Pid, process.BootTimeNs, out var image, startedNs) || _images.TryGet(process.Parent, process.BootTimeNs, out image))
        {
            process.Path = image.Path;
            process.Cwd = image.Cwd;
            process.PathResolved = image.PathResolved;
        }
        else
        {
            process.PathResolved = -1;
        }
        _images.OnExit(process.Pid, process.BootTimeNs);
        process.ExitCode = ExitCodeFromStatus(exit.Status);
        process.Duration = unchecked((long)exit.LifetimeNs);
        process.Euid = header.Euid;
        process.Egid = header.Egid;
        process.Auid = header.Auid;
        evt = process;
        error = null;
        return true;
    }

    private bool TryDecodeFork(ReadOnlySpan<byte> record, in EventHeader header, out Event? evt, out string? error)
    {
        evt = null;
        if (record.Length < ForkRecordLayout.Size)
        {
            error = $"A fork record of {record.Length} bytes is shorter than {ForkRecordLayout.Size} bytes.";
            return false;
        }
        var process = new ProcessEvent();
        HeaderDecoding.Fill(process, header, record, _clock, _text, _containers);
        process.Syscall = "fork";
        process.Euid = header.Euid;
        process.Egid = header.Egid;
        process.Auid = header.Auid;
        evt = process;
        error = null;
        return true;
    }

    /// <summary>The exit code for a normal exit, or minus the signal number for a killed process.</summary>
    internal static long ExitCodeFromStatus(long status)
    {
        long signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : -signal;
    }
}
