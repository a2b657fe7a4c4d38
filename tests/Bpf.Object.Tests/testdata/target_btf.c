// SPDX-License-Identifier: GPL-2.0
/*
 * A small stand-in for a kernel's BTF: the same type names as bpf/test_types.h, with other layouts, so CO-RE
 * relocation has real work to do. Regenerate target.btf with ./make_target_btf.sh after editing.
 *
 * Differences from the local types, which the tests rely on:
 *  - task_struct: fields reordered and padded; comm is 32 bytes, not 16; no field_only_in_v2.
 *  - bits: the bitfields move by 64 bits and mid is 9 bits wide, not 7.
 *  - nested: arr comes first; nested_inner has b before a.
 *  - test_state: other values, and no TEST_STATE_ONLY_LOCAL.
 *  - only_local_type does not exist.
 *  - amb has a flavor amb___two with b at another offset: two candidates that disagree.
 *  - sized_field.value is 8 bytes, not 4, at offset 8.
 */
struct task_struct {
	long state;                     /* offset 0 */
	char pad0[40];                  /* offset 8 */
	unsigned int flags;             /* offset 48 */
	int tgid;                       /* offset 52 */
	int pid;                        /* offset 56 */
	char comm[32];                  /* offset 60 */
	struct task_struct *real_parent;/* offset 96 */
};

struct bits {
	unsigned long long wide;        /* offset 0 */
	unsigned int pad : 5;           /* bits 64..68 */
	unsigned int low : 3;           /* bits 69..71 */
	unsigned int mid : 9;           /* bits 72..80 */
	int sig : 6;                    /* bits 81..86 */
};

struct nested_inner {
	long long b;                    /* offset 0 */
	short a;                        /* offset 8 */
};

struct nested {
	struct nested_inner arr[4];     /* offset 0, 16 bytes each */
	int x;                          /* offset 64 */
	struct nested_inner inner;      /* offset 72 */
};

enum test_state {
	TEST_STATE_A = 3,
	TEST_STATE_B = 7,
};

struct amb {
	int b;                          /* offset 0 */
	int a;
};

struct amb___two {
	long long x;
	int b;                          /* offset 8 */
};

struct sized_field {
	int before;
	unsigned long long value;       /* offset 8, size 8 */
};

typedef void (*btf_trace_sched_process_exec)(void *ctx, struct task_struct *p, int old_pid);

struct task_struct target_task;
struct bits target_bits;
struct nested target_nested;
enum test_state target_state;
btf_trace_sched_process_exec target_tp;
struct amb target_amb;
struct amb___two target_amb_two;
struct sized_field target_sized;
