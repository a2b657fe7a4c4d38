using Xunit;

namespace OsqueryBpf.Bpf.Object.Tests;

public class SmokeTests
{
    [Fact]
    public void Parses()
    {
        var spec = CollectionSpec.Parse(TestObjects.MapsAndPrograms);
        Assert.NotEmpty(spec.Programs);
    }
}
