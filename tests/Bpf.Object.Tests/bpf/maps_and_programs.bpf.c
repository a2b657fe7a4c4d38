// SPDX-License-Identifier: GPL-2.0
/* Maps of several kinds, global data, program section kinds and bpf-to-bpf calls, for Bpf.Object.Tests. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct value {
	__u64 count;
	__u32 last_pid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct value);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(key_size, 8);
	__uint(value_size, 16);
} sized SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

const volatile __u32 ignore_tgid = 0;
const volatile __u64 threshold = 100;
const volatile char label[8] = "abc";
__u64 hits = 7;           /* .data */
__u64 zeroed;             /* .bss */
__u32 also_zeroed;        /* .bss, after zeroed */

static __noinline int leaf(int x)
{
	return x * 3 + (int)threshold;
}

static __noinline int middle(int x)
{
	return leaf(x) + leaf(x + 1);
}

__noinline int global_helper(int x)
{
	return x + 1;
}

static __always_inline void count(__u32 key)
{
	struct value *v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		__sync_fetch_and_add(&v->count, 1);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int first_in_section(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == ignore_tgid)
		return 0;
	count(tgid);
	hits++;
	zeroed += middle(tgid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int second_in_section(void *ctx)
{
	also_zeroed = leaf(1) + global_helper(2);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int tp_short(void *ctx)
{
	__u64 *l;
	__u32 zero = 0;
	l = bpf_map_lookup_elem(&lost, &zero);
	if (l)
		*l += label[1];
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int raw_long(void *ctx)
{
	__u64 *slot = bpf_ringbuf_reserve(&events, sizeof(__u64), 0);
	if (!slot)
		return 0;
	*slot = middle(2);
	bpf_ringbuf_submit(slot, 0);
	return 0;
}

SEC("raw_tp/sys_exit")
int raw_short(void *ctx)
{
	__u64 key = 1, *value = bpf_map_lookup_elem(&sized, &key);
	char buf[16];

	/* A string literal: clang puts it in .rodata.str1.1, a global data section of its own. */
	bpf_probe_read_kernel_str(buf, sizeof(buf), "literal-string");
	return value ? buf[0] : 0;
}

SEC("tp_btf/sched_process_exec")
int btf_tp(void *ctx)
{
	return global_helper(0);
}

static int loop_step(__u32 index, void *data)
{
	*(__u64 *)data += index;
	return 0;
}

/* bpf_loop takes a callback: an ld_imm64 of a function address (BPF_PSEUDO_FUNC) to link like a call. */
SEC("raw_tp/sched_switch")
int with_callback(void *ctx)
{
	__u64 sum = 0;
	bpf_loop(4, loop_step, &sum, 0);
	return sum == 6;
}

SEC("socket")
int sock_filter(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
