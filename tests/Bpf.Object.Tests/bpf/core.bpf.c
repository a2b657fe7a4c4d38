// SPDX-License-Identifier: GPL-2.0
/* CO-RE relocations of every kind against test_types.h, for Bpf.Object.Tests. */
#include "test_types.h"
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

__u64 out[32];

SEC("tp_btf/sched_process_exec")
int core_reads(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct___v2 *v2 = (struct task_struct___v2 *)task;
	struct bits *b = (struct bits *)ctx;
	struct nested *n = (struct nested *)ctx;

	out[0] = BPF_CORE_READ(task, tgid);
	out[1] = BPF_CORE_READ(task, real_parent, tgid);
	out[2] = bpf_core_field_exists(v2->field_only_in_v2);
	if (bpf_core_field_exists(v2->field_only_in_v2))
		out[3] = BPF_CORE_READ(v2, field_only_in_v2);
	out[4] = bpf_core_field_size(task->comm);
	out[5] = BPF_CORE_READ_BITFIELD_PROBED(b, mid);
	out[6] = BPF_CORE_READ_BITFIELD_PROBED(b, sig);
	out[7] = bpf_core_type_exists(struct only_local_type);
	out[8] = bpf_core_type_exists(struct task_struct);
	out[9] = bpf_core_type_size(struct task_struct);
	out[10] = bpf_core_enum_value_exists(enum test_state, TEST_STATE_ONLY_LOCAL);
	out[11] = bpf_core_enum_value(enum test_state, TEST_STATE_B);
	out[12] = bpf_core_type_id_local(struct task_struct);
	out[13] = bpf_core_type_id_kernel(struct task_struct);
	out[14] = BPF_CORE_READ(n, arr[2].b);
	out[15] = __builtin_preserve_field_info(b->sig, BPF_FIELD_SIGNED);
	out[16] = BPF_CORE_READ(task, pid);
	out[17] = BPF_CORE_READ((struct amb *)ctx, b);
	out[18] = ((struct sized_field *)ctx)->value;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
