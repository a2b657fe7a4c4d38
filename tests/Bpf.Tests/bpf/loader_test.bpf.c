// SPDX-License-Identifier: GPL-2.0
/*
 * Test object for the collection loader: a ring buffer with the <ring>_lost convention, .rodata
 * configuration, .data/.bss globals, CO-RE reads of task->real_parent->tgid, and one program per
 * attach kind (tracepoint, raw_tracepoint, tp_btf, socket filter).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* Only the fields used here; CO-RE finds their real offsets in the kernel's BTF. */
struct task_struct {
	int tgid;
	struct task_struct *real_parent;
} __attribute__((preserve_access_index));

enum record_kind { KIND_GETPRIORITY = 1, KIND_GETPPID = 2, KIND_EXEC = 3, KIND_PACKET = 4 };

struct record {
	__u32 kind;
	__u32 tgid;
	__u32 parent_tgid;
	__u32 reserved;
	__u64 value;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} events_lost SEC(".maps");

/* Set by the loader before loading; 0 means "nobody". */
const volatile __u32 target_tgid = 0;
const volatile __u64 target_who = 0;
/* When set, getpriority records carry value * multiplier: proves the constant reaches the program. */
const volatile __u64 multiplier = 1;

__u64 getpriority_hits = 0;  /* .bss */
__u64 data_marker = 0x5eed;  /* .data */

static __always_inline void emit(__u32 kind, __u32 parent_tgid, __u64 value)
{
	struct record *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		__u32 zero = 0;
		__u64 *lost = bpf_map_lookup_elem(&events_lost, &zero);
		if (lost)
			__sync_fetch_and_add(lost, 1);
		return;
	}
	r->kind = kind;
	r->tgid = bpf_get_current_pid_tgid() >> 32;
	r->parent_tgid = parent_tgid;
	r->reserved = 0;
	r->value = value;
	bpf_ringbuf_submit(r, 0);
}

static __always_inline __u32 current_parent_tgid(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, real_parent, tgid);
}

/* tracepoint/syscalls/sys_enter_*: common fields (8 bytes), int __syscall_nr, then u64 arguments. */
struct sys_enter_getpriority_args {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__u64 which;
	__u64 who;
};

SEC("tracepoint/syscalls/sys_enter_getpriority")
int on_getpriority(struct sys_enter_getpriority_args *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid || ctx->who != target_who)
		return 0;
	__sync_fetch_and_add(&getpriority_hits, 1);
	emit(KIND_GETPRIORITY, current_parent_tgid(), ctx->who * multiplier + data_marker - 0x5eed);
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	/* args[0] is struct pt_regs *, args[1] the syscall number; 110 is getppid on x86_64. */
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid || ctx->args[1] != 110)
		return 0;
	emit(KIND_GETPPID, current_parent_tgid(), ctx->args[1]);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int on_exec(__u64 *ctx)
{
	/* sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) */
	struct task_struct *p = (struct task_struct *)ctx[0];
	__u32 parent = BPF_CORE_READ(p, real_parent, tgid);
	if (parent != target_tgid)
		return 0;
	emit(KIND_EXEC, parent, BPF_CORE_READ(p, tgid));
	return 0;
}

SEC("socket")
int count_packets(struct __sk_buff *skb)
{
	if (skb->len == target_who)
		emit(KIND_PACKET, 0, skb->len);
	return 0;
}
