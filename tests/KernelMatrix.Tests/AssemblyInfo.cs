using Xunit;

// Guests are booted one after another: TCG on a 2-core machine gains nothing from two at once, and the
// host-kernel run and a boot would only slow each other down.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// Guests, ldd, busybox and file modes are Linux things.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
