using OsqueryBpf.Bpf.Collections;
using OsqueryBpf.Bpf.Errors;
using OsqueryBpf.Bpf.Links;
using OsqueryBpf.Bpf.Object;
using OsqueryBpf.Bpf.Object.Btf;
using OsqueryBpf.Probes.Kernel;

namespace OsqueryBpf.Probes.Runtime;

/// <summary>What became of one hook of a loaded probe.</summary>
/// <param name="Hook">The hook.</param>
/// <param name="ProgramName">The program that serves it (main or fallback), or null when none could be chosen.</param>
/// <param name="Running">Whether the program is loaded and attached.</param>
/// <param name="Reason">Why it is not running; null when it is.</param>
/// <param name="Fallback">Why a fallback program serves it, when one does.</param>
public sealed record HookState(ProbeHook Hook, string? ProgramName, bool Running, string? Reason, string? Fallback)
{
    /// <summary>
    /// The hook as <c>ebpf_probes.missing_hooks</c> lists it: the attach point, from which kernel it exists, and why it
    /// is not running.
    /// </summary>
    public string Describe() => $"{Hook} (Linux {Hook.MinimumKernel}+{(Hook.Optional ? ", optional" : "")}): {Reason}";
}

/// <summary>
/// A probe loaded into the running kernel the way the product runs it: fitted to the kernel (<see cref="ProbePlan"/>),
/// every chosen program loaded and attached (socket filters on an AF_PACKET socket for all interfaces), and what
/// became of each hook. A hook that cannot be served does not take the others down: the probe runs with the hooks
/// it has, and <see cref="Missing"/> says which it lacks and why. Disposing detaches and closes everything.
/// </summary>
public sealed class ProbeInstance : IDisposable
{
    private readonly List<IBpfLink> _socketLinks;

    private ProbeInstance(ProbeDefinition definition, ProbePlan plan, BpfCollection collection, List<IBpfLink> socketLinks,
        IReadOnlyList<HookState> hooks)
    {
        Definition = definition;
        Plan = plan;
        Collection = collection;
        _socketLinks = socketLinks;
        Hooks = hooks;
    }

    /// <summary>The probe.</summary>
    public ProbeDefinition Definition { get; }

    /// <summary>How it was fitted to the kernel.</summary>
    public ProbePlan Plan { get; }

    /// <summary>The kernel objects (maps, programs, tracepoint links).</summary>
    public BpfCollection Collection { get; }

    /// <summary>One state per hook, in the definition's order.</summary>
    public IReadOnlyList<HookState> Hooks { get; }

    /// <summary>The hooks that are not running.</summary>
    public IEnumerable<HookState> Missing => Hooks.Where(h => !h.Running);

    /// <summary>
    /// True when every hook runs, optional ones aside (a kernel without a syscall cannot be asked to make it). False
    /// means the probe runs degraded: some of its events are not seen.
    /// </summary>
    public bool Complete => Hooks.All(h => h.Running || h.Hook.Optional);

    /// <summary>
    /// Loads <paramref name="definition"/> with <paramref name="settings"/> into the running kernel
    /// (<paramref name="kernel"/> describes it; null asks it). Throws when the probe cannot run at all: its ring buffer
    /// could not be created, or not one of its hooks runs (the message names every hook and why).
    /// </summary>
    public static ProbeInstance Load(ProbeDefinition definition, ProbeSettings? settings = null, ProbeContext? context = null,
        IKernelProfile? kernel = null) =>
        Load(definition, settings ?? definition.DefaultSettings(), context ?? new ProbeContext(), kernel ?? RunningKernel.Open(), coreTarget: null);

    /// <summary>
    /// As <see cref="Load(ProbeDefinition, ProbeSettings?, ProbeContext?, IKernelProfile?)"/>, with CO-RE relocated against
    /// <paramref name="coreTarget"/> instead of the running kernel's BTF: tests present this kernel as an older one
    /// (helpers hidden from it) to run the older kernels' code paths here.
    /// </summary>
    internal static ProbeInstance Load(ProbeDefinition definition, ProbeSettings settings, ProbeContext context, IKernelProfile kernel,
        BtfSpec? coreTarget)
    {
        var plan = ProbePlan.For(definition, settings, context, kernel);
        var spec = CollectionSpec.Parse(definition.ReadObject());
        foreach (var (name, value) in plan.Constants)
            spec.SetConstant(name, value);
        var collection = BpfCollection.Load(spec, new CollectionLoadOptions { Programs = plan.Programs, KernelBtf = coreTarget });
        var links = new List<IBpfLink>();
        try
        {
            var hooks = plan.Hooks.Select(h => Settle(h, collection, links)).ToList();
            collection.Map(definition.RingMap); // throws with the reason when the ring could not be created
            collection.Map(definition.LostMap);
            if (!hooks.Any(h => h.Running))
                throw new InvalidOperationException($"No hook of probe {definition.Name} could run: " +
                    string.Join(" | ", hooks.Select(h => h.Describe())));
            return new ProbeInstance(definition, plan, collection, links, hooks);
        }
        catch
        {
            foreach (var link in links)
                link.Dispose();
            collection.Dispose();
            throw;
        }
    }

    private static HookState Settle(HookPlan plan, BpfCollection collection, List<IBpfLink> socketLinks)
    {
        if (plan.ProgramName is null)
            return new HookState(plan.Hook, null, false, plan.Missing, null);
        var result = collection.Programs[plan.ProgramName];
        if (result.Error is not null)
            return new HookState(plan.Hook, plan.ProgramName, false, result.Error.Message, plan.Fallback);
        if (plan.Hook.Kind == HookKind.SocketFilter)
        {
            try
            {
                socketLinks.Add(SocketFilterLink.Attach(result.Program!));
            }
            catch (Exception e) when (e is BpfException or ArgumentException)
            {
                return new HookState(plan.Hook, plan.ProgramName, false, e.Message, plan.Fallback);
            }
        }
        else if (result.Status != ProgramLoadStatus.Attached)
        {
            return new HookState(plan.Hook, plan.ProgramName, false, $"{plan.ProgramName} was {result.Status}, not attached.", plan.Fallback);
        }
        return new HookState(plan.Hook, plan.ProgramName, true, null, plan.Fallback);
    }

    /// <summary>Detaches the socket filters, then closes the collection (links, programs, maps).</summary>
    public void Dispose()
    {
        foreach (var link in _socketLinks)
            link.Dispose();
        _socketLinks.Clear();
        Collection.Dispose();
    }
}
