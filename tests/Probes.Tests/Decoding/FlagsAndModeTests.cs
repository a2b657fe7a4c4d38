using System.Runtime.InteropServices;
using OsqueryBpf.Probes.Decoding;
using Xunit;

namespace OsqueryBpf.Probes.Tests.Decoding;

public sealed class FlagsAndModeTests
{
    [Theory]
    [InlineData(0u, "O_RDONLY")]
    [InlineData(0x241u, "O_WRONLY|O_CREAT|O_TRUNC")] // what creat() means
    [InlineData(0x80442u, "O_RDWR|O_CREAT|O_APPEND|O_CLOEXEC")]
    [InlineData(0x200000u | 0x80000u, "O_RDONLY|O_CLOEXEC|O_PATH")]
    [InlineData(0x10000u | 0x20000u | 0x800u, "O_RDONLY|O_NONBLOCK|O_DIRECTORY|O_NOFOLLOW")]
    [InlineData(0x410002u, "O_RDWR|O_TMPFILE")]
    [InlineData(0x101001u, "O_WRONLY|O_SYNC")]
    [InlineData(0x1001u, "O_WRONLY|O_DSYNC")]
    [InlineData(0xC1u, "O_WRONLY|O_CREAT|O_EXCL")]
    [InlineData(0x80000000u | 1u, "O_WRONLY|0x80000000")]
    public void Open_flags_are_symbolic_with_x86_64_values(uint flags, string expected)
    {
        Assert.Equal(expected, OpenFlagsText.FormatOpen(flags, Architecture.X64));
    }

    /// <summary>arm64 swaps four values (arch/arm64/include/uapi/asm/fcntl.h); the others are x86_64's.</summary>
    [Theory]
    [InlineData(0x84800u, "O_RDONLY|O_NONBLOCK|O_DIRECTORY|O_CLOEXEC")] // what opendir() passes
    [InlineData(0x4000u | 0x8000u | 0x800u, "O_RDONLY|O_NONBLOCK|O_DIRECTORY|O_NOFOLLOW")]
    [InlineData(0x10000u | 0x20000u | 1u, "O_WRONLY|O_DIRECT|O_LARGEFILE")]
    [InlineData(0x404002u, "O_RDWR|O_TMPFILE")]
    [InlineData(0x241u, "O_WRONLY|O_CREAT|O_TRUNC")]
    [InlineData(0x101001u, "O_WRONLY|O_SYNC")]
    [InlineData(0x200000u | 0x80000u, "O_RDONLY|O_CLOEXEC|O_PATH")]
    [InlineData(0x80000000u | 1u, "O_WRONLY|0x80000000")]
    public void Open_flags_are_symbolic_with_arm64_values(uint flags, string expected)
    {
        Assert.Equal(expected, OpenFlagsText.FormatOpen(flags, Architecture.Arm64));
    }

    [Fact]
    public void The_same_bits_name_different_flags_on_the_two_architectures_and_records_use_this_process_s()
    {
        Assert.Equal("O_RDONLY|O_DIRECT", OpenFlagsText.FormatOpen(0x4000, Architecture.X64));
        Assert.Equal("O_RDONLY|O_DIRECTORY", OpenFlagsText.FormatOpen(0x4000, Architecture.Arm64));
        Assert.Equal("O_RDONLY|O_NOFOLLOW", OpenFlagsText.FormatOpen(0x20000, Architecture.X64));
        Assert.Equal("O_RDONLY|O_LARGEFILE", OpenFlagsText.FormatOpen(0x20000, Architecture.Arm64));
        Assert.Equal(OpenFlagsText.FormatOpen(0x4000, RuntimeInformation.ProcessArchitecture), OpenFlagsText.FormatOpen(0x4000));
    }

    [Fact]
    public void At_and_rename_flags_are_symbolic_and_empty_when_zero()
    {
        Assert.Equal("", OpenFlagsText.FormatAt(0));
        Assert.Equal("AT_REMOVEDIR", OpenFlagsText.FormatAt(0x200));
        Assert.Equal("AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH", OpenFlagsText.FormatAt(0x1100));
        Assert.Equal("RENAME_NOREPLACE", OpenFlagsText.FormatRename(1));
        Assert.Equal("RENAME_EXCHANGE|0x10", OpenFlagsText.FormatRename(0x12));
    }

    [Theory]
    [InlineData(0x1A4u, "0644")] // 0644
    [InlineData(0x1EDu, "0755")]
    [InlineData(0x9EDu, "4755")] // setuid
    [InlineData(0u, "0000")]
    [InlineData(0x81A4u, "0644")] // S_IFREG bits are not permission bits
    public void Modes_are_four_digit_octal(uint mode, string expected)
    {
        Assert.Equal(expected, ModeText.Format(mode));
    }

    [Fact]
    public void Boot_clock_adds_its_offset()
    {
        var clock = new BootClock(1_700_000_000L * 1_000_000_000);
        Assert.Equal(1_700_000_005L, clock.ToUnixSeconds(5_500_000_000));
    }

    [Fact]
    public void Measured_boot_clock_gives_a_time_close_to_now()
    {
        var clock = new BootClock();
        double uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long converted = clock.ToUnixSeconds((ulong)(uptime * 1e9));
        Assert.InRange(converted, now - 5, now + 5);
    }
}
