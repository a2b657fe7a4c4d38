using OsqueryBpf.Bpf.Object.Btf;

namespace OsqueryBpf.Bpf.Object.Core;

/// <summary>
/// Applies CO-RE relocations: rewrites field offsets, sizes, existence checks, type ids and enum values that the
/// compiler computed against the object's own BTF so they match the target kernel's BTF.
/// </summary>
public static partial class CoreRelocator
{
    /// <summary>
    /// Relocates <paramref name="program"/> (whose <see cref="ProgramSpec.CoreRelocations"/> refer to <paramref name="local"/>)
    /// against <paramref name="target"/>. Unsatisfiable relocations are poisoned, not thrown: existence checks become 0,
    /// everything else becomes a call to helper 0xbad2310 that the verifier refuses only if it is reachable.
    /// </summary>
    /// <exception cref="BpfObjectException">A relocation record itself is malformed (bad type id, access string or instruction index).</exception>
    public static CoreRelocationResult Apply(ProgramSpec program, BtfSpec local, BtfSpec target)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(target);
        throw new NotImplementedException("CO-RE relocation is not implemented yet.");
    }
}
