using Xunit;

// The runtime fixtures start daemons, mount overlays and make cgroups; one at a time keeps a 2-core CI machine
// (and the other work on it) responsive and the cgroup probe's view simple to reason about.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
