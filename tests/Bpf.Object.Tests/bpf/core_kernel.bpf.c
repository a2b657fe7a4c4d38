// SPDX-License-Identifier: GPL-2.0
/*
 * CO-RE against the real kernel's BTF: local kernel types declared by hand (only the fields used), as the product
 * probes do. Bpf.Object.Tests compares the relocated offsets with what bpftool prints for /sys/kernel/btf/vmlinux.
 * The program is also meant to load: the read of the missing field sits behind bpf_core_field_exists.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	unsigned int in_execve : 1;   /* a bitfield in the kernel too: read with the load rules of CO-RE */
} __attribute__((preserve_access_index));

/* A flavor of task_struct with a field no kernel has. */
struct task_struct___no_such_field {
	int field_that_no_kernel_has;
} __attribute__((preserve_access_index));

enum pid_type {
	PIDTYPE_PID,
	PIDTYPE_TGID,
	PIDTYPE_PGID,
	PIDTYPE_SID,
	PIDTYPE_MAX,
};

__u64 kernel_out[8];

SEC("tp_btf/sched_process_exec")
int kernel_reads(__u64 *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx[0];
	struct task_struct___no_such_field *other = (void *)task;

	kernel_out[0] = BPF_CORE_READ(task, tgid);
	kernel_out[1] = BPF_CORE_READ(task, real_parent, tgid);
	if (bpf_core_field_exists(other->field_that_no_kernel_has))
		kernel_out[2] = BPF_CORE_READ(other, field_that_no_kernel_has);
	kernel_out[3] = bpf_core_enum_value(enum pid_type, PIDTYPE_SID);
	kernel_out[4] = bpf_core_type_size(struct task_struct);
	kernel_out[5] = BPF_CORE_READ_BITFIELD_PROBED(task, in_execve);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
