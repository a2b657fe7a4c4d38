// SPDX-License-Identifier: GPL-2.0
/* Test object where one program is refused by the verifier and one loads: partial failure handling. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* A hash lookup may miss, so its result must be checked (array lookups with a constant in-range key
 * need no check on recent kernels). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} maybe SEC(".maps");

/* A type this kernel does not have: reading it can only be a poisoned CO-RE relocation. */
struct no_such_kernel_type {
	int no_such_field;
} __attribute__((preserve_access_index));

SEC("raw_tracepoint/sys_enter")
int null_deref(void *ctx)
{
	__u32 zero = 0;
	__u64 *value = bpf_map_lookup_elem(&maybe, &zero);
	return *value; /* no NULL check: the verifier must refuse this */
}

SEC("raw_tracepoint/sys_enter")
int counts_fine(void *ctx)
{
	__u32 zero = 0;
	__u64 *value = bpf_map_lookup_elem(&counters, &zero);
	if (value)
		__sync_fetch_and_add(value, 1);
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int reads_missing_type(struct bpf_raw_tracepoint_args *ctx)
{
	struct no_such_kernel_type *t = (void *)ctx->args[0];
	return BPF_CORE_READ(t, no_such_field);
}

SEC("raw_tracepoint/sys_exit")
int guards_missing_type(struct bpf_raw_tracepoint_args *ctx)
{
	struct no_such_kernel_type *t = (void *)ctx->args[0];
	if (bpf_core_field_exists(t->no_such_field))
		return BPF_CORE_READ(t, no_such_field);
	return 0;
}
