using OsqueryBpf.Probes.Decoding;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Decoding;

public sealed class RecentTextsTests
{
    [Fact]
    public void Repeats_return_the_same_string_and_old_ones_are_replaced()
    {
        var recent = new RecentTexts(new EscapedText());
        var bash = recent.Get("/usr/bin/bash"u8);
        Assert.Same(bash, recent.Get("/usr/bin/bash"u8));
        Assert.Equal("/usr/bin/ba\\xFF", recent.Get([.. "/usr/bin/ba"u8, 0xFF]));

        // Nine other texts push bash out of the eight slots: equal text, new instance.
        for (int i = 0; i < 9; i++)
            Assert.Equal("/bin/p" + i, recent.Get(System.Text.Encoding.UTF8.GetBytes("/bin/p" + i)));
        var again = recent.Get("/usr/bin/bash"u8);
        Assert.Equal("/usr/bin/bash", again);
        Assert.NotSame(bash, again);
        Assert.Equal("", recent.Get([]));
    }
}
