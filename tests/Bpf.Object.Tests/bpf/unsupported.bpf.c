// SPDX-License-Identifier: GPL-2.0
/*
 * Constructs the loader deliberately does not support, each of which must give a clear BpfObjectException.
 * Compiled into separate objects by defining one of the macros below (see UnsupportedTests).
 * Without a macro it is a plain valid object.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifdef WITH_KCONFIG
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
#endif

SEC("socket")
int plain(void *ctx)
{
#ifdef WITH_KCONFIG
	return LINUX_KERNEL_VERSION > 0;
#else
	return 0;
#endif
}

char LICENSE[] SEC("license") = "GPL";
