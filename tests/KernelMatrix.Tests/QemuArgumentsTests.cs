using Xunit;

namespace OsqueryBpf.KernelMatrix.Tests;

/// <summary>The qemu command line per architecture: x86_64's as it always was, arm64's with its own console and report port.</summary>
public sealed class QemuArgumentsTests
{
    [Fact]
    public void X86_64_boots_with_two_16550_ports_console_first()
    {
        Assert.Equal(
            ["-nodefaults", "-display", "none", "-no-reboot", "-accel", "tcg,thread=multi", "-cpu", "max", "-m", "2G", "-smp", "2",
                "-kernel", "/k/vmlinuz", "-initrd", "/i.cpio", "-append", "console=ttyS0 noapic panic=-1 oops=panic",
                "-serial", "file:/l/console.log", "-serial", "stdio"],
            QemuGuest.Arguments(GuestArchitecture.X86_64, "/k/vmlinuz", "/i.cpio", "/l/console.log"));
        Assert.Equal("/dev/ttyS1", GuestArchitecture.X86_64.ReportDevice);
        Assert.Contains("--report /dev/ttyS1 --settle-timeout 150\n", GuestImage.InitScript(GuestArchitecture.X86_64));
    }

    [Fact]
    public void Arm64_boots_the_virt_board_with_its_pl011_console_and_a_pci_16550_report_port()
    {
        Assert.Equal(
            ["-nodefaults", "-display", "none", "-no-reboot", "-M", "virt", "-accel", "tcg,thread=multi", "-cpu", "max", "-m", "2G", "-smp", "2",
                "-kernel", "/k/vmlinuz", "-initrd", "/i.cpio", "-append", "console=ttyAMA0 panic=-1 oops=panic",
                "-serial", "file:/l/console.log", "-chardev", "stdio,id=report", "-device", "pci-serial,chardev=report"],
            QemuGuest.Arguments(GuestArchitecture.Arm64, "/k/vmlinuz", "/i.cpio", "/l/console.log"));
        // The PCI UART is the guest's only 16550, so it is ttyS0; the init script writes the verdict there.
        Assert.Equal("/dev/ttyS0", GuestArchitecture.Arm64.ReportDevice);
        Assert.Contains("--report /dev/ttyS0 --settle-timeout 420\n", GuestImage.InitScript(GuestArchitecture.Arm64));
        // A slow load (minutes under TCG on 5.10 and 6.1) must still end in a verdict before the boot's hard limit.
        Assert.True(GuestArchitecture.Arm64.RunTimeout >= GuestArchitecture.Arm64.SettleTimeout + TimeSpan.FromSeconds(90));
    }

    [Theory]
    [InlineData("x86_64", "x86_64")]
    [InlineData("amd64", "x86_64")]
    [InlineData("aarch64", "aarch64")]
    [InlineData("arm64", "aarch64")]
    public void Architectures_are_found_by_either_name(string name, string expected) =>
        Assert.Equal(expected, GuestArchitecture.Find(name).Name);
}
