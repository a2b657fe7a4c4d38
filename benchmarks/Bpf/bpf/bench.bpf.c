// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark producers. `flood` writes `batch` records per run with bpf_loop (driven by
 * BPF_PROG_TEST_RUN, so the kernel produces as fast as a CPU can); `on_getpid` writes one record per
 * getpid(2) of the target process (a syscall-driven workload). Both count ring-full failures in
 * events_lost, the loader's convention.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct {
	int tgid;
	struct task_struct *real_parent;
} __attribute__((preserve_access_index));

/* 64 bytes, about the size of a small event record. */
struct record {
	__u64 seq;
	__u64 boot_ns;
	__u32 tgid;
	__u32 ppid;
	__u8 payload[40];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} events_lost SEC(".maps");

const volatile __u32 batch = 1000;
const volatile __u32 target_tgid = 0;

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&events_lost, &zero);
	if (lost)
		*lost += 1; /* per-CPU slot: no atomic needed */
}

static long produce_one(__u32 index, void *ctx)
{
	struct record *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_lost();
		return 0;
	}
	r->seq = index;
	r->boot_ns = bpf_ktime_get_boot_ns();
	r->tgid = bpf_get_current_pid_tgid() >> 32;
	r->ppid = 0;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int flood(void *ctx)
{
	bpf_loop(batch, produce_one, NULL, 0);
	return 0;
}

SEC("tp_btf/sys_enter")
int on_getpid(__u64 *ctx)
{
	/* sys_enter(struct pt_regs *regs, long id); 39 is getpid on x86_64. */
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid || ctx[1] != 39)
		return 0;
	struct record *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_lost();
		return 0;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	r->seq = 0;
	r->boot_ns = bpf_ktime_get_boot_ns();
	r->tgid = target_tgid;
	r->ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_ringbuf_submit(r, 0);
	return 0;
}
