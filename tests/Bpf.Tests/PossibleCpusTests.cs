using OsqueryBpf.Bpf.Maps;
using Xunit;

namespace OsqueryBpf.Bpf.Tests;

public sealed class PossibleCpusTests
{
    [Theory]
    [InlineData("0\n", 1)]
    [InlineData("0-1\n", 2)]
    [InlineData("0-3,5,7-9", 10)]
    public void CountIsHighestIndexPlusOne(string list, int expected) => Assert.Equal(expected, PossibleCpus.Parse(list));

    [Theory]
    [InlineData("")]
    [InlineData("zero")]
    [InlineData("0-")]
    public void MalformedListsAreRejected(string list) => Assert.Throws<FormatException>(() => PossibleCpus.Parse(list));

    [Fact]
    public void ThisMachineHasAtLeastOnePossibleCpu() => Assert.InRange(PossibleCpus.Count, 1, 8192);
}
