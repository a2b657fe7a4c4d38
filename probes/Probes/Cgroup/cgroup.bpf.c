// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup.bpf.c: the life of cgroups, for the cgroup id -> cgroup path map that container attribution
 * needs (probes/Containers). Every event row already carries the kernel's cgroup v2 id
 * (bpf_get_current_cgroup_id()); these records say what each id *is*, from the kernel, when it happens:
 *
 *  - mkdir:       a cgroup was made. Fires inside mkdir(2) on cgroupfs, after the kernfs node and its
 *                 owner exist and before mkdir returns, so before any process can be moved into it:
 *                 a container's cgroup is known before its first process runs.
 *  - rmdir:       a cgroup was removed (its id is never reused while the kernel runs; see below).
 *  - rename:      a cgroup was renamed; the kernel allows this on cgroup v1 hierarchies only.
 *  - attach_task: a task (or its whole thread group) was moved into a cgroup by a write to
 *                 cgroup.procs/tasks; not for tasks placed by clone3(CLONE_INTO_CGROUP), which are in
 *                 their cgroup from their first instruction.
 *
 * Hooks: raw tracepoints cgroup:cgroup_mkdir, cgroup_rmdir, cgroup_rename, cgroup_attach_task. Their
 * prototypes are the same on every kernel we support (checked in the BTF of Debian's 5.10, 6.1, 6.12
 * and 6.18): (struct cgroup *cgrp, const char *path) and, for attach_task, (struct cgroup *dst_cgrp,
 * const char *path, struct task_struct *task, bool threadgroup). Raw tracepoints rather than tp_btf:
 * before 5.17 a tp_btf program may not read a `const char *` argument (only pointers to structs), and
 * raw tracepoints need no tracefs. Struct fields are read with BPF_CORE_READ (CO-RE), and the acting
 * task with bpf_get_current_task(), so the program also loads on 5.10 (no bpf_get_current_task_btf).
 *
 * The path is the one the kernel formats for the tracepoint (cgroup_path: relative to the hierarchy's
 * root, never to a cgroup namespace, at most 1024 bytes with its NUL). The id is the cgroup's kernfs
 * node id, which on 64-bit kernels is also the inode number of its directory in cgroupfs, and the value
 * bpf_get_current_cgroup_id() returns for tasks in it (cgroup v2).
 *
 * The owner is the cgroup directory's owner as the kernel recorded it (kernfs iattr uid; a node without
 * iattrs is root's). cgroup_mkdir gives a new cgroup to the creator's fsuid before the tracepoint fires,
 * so a cgroup made by a user in a delegated subtree has that user's uid here, whatever its name says.
 */
#include "kernel.h"
#include "common.h"

/*
 * Record kinds of this family. common.h's enum event_kind gives each family a range of 16; this file
 * takes 64..79 (to be added to that enum when the probe joins probes/Probes).
 */
#define EVENT_CGROUP_MKDIR 64
#define EVENT_CGROUP_RMDIR 65
#define EVENT_CGROUP_RENAME 66
#define EVENT_CGROUP_ATTACH_TASK 67

/* The kernel formats tracepoint paths into a buffer of this size (TRACE_CGROUP_PATH_LEN). */
#define CGROUP_PATH_CAP 1024


struct cgroup_record {
	struct event_header h;  /* the acting task: the one that made, removed, renamed or moved */
	__u64 cgroup_id;        /* the cgroup acted on: kernfs id = inode number of its directory */
	__u32 hierarchy_id;     /* 0: cgroup v2; other values: a cgroup v1 hierarchy */
	__u32 level;            /* depth below the hierarchy's root (the root is 0) */
	__u32 owner_uid;        /* the cgroup directory's owner (global uid) */
	__u32 task_tid;         /* attach_task: the moved task's id (task->pid), else 0 */
	__u32 task_pid;         /* attach_task: its process (task->tgid), else 0 */
	__u32 task_mnt_ns;      /* attach_task: the moved task's mount namespace inode, else 0 */
	__u32 actor_mnt_ns;     /* the acting task's mount namespace inode */
	__u16 path_len;         /* bytes of path, without a NUL */
	__u8 threadgroup;       /* attach_task: the whole thread group moved */
	__u8 reserved;
	char path[CGROUP_PATH_CAP];
};

#define CGROUP_RECORD_FIXED_SIZE 112
_Static_assert(__builtin_offsetof(struct cgroup_record, path) == CGROUP_RECORD_FIXED_SIZE, "mirrored in C#");

/* ---- configuration (.rodata) ---- */
/*
 * Only the cgroup v2 hierarchy (the one bpf_get_current_cgroup_id() names). On hosts that also mount
 * cgroup v1 hierarchies every container cgroup is made once per hierarchy; those records would only be
 * noise for attribution. Set false to see them (rename exists only there).
 */
const volatile bool default_hierarchy_only = true;

DEFINE_RING(cgroup_events, 256 << 10);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgroup_record);
} cgroup_scratch SEC(".maps");

static __always_inline __u32 mnt_ns_of(struct task_struct *task)
{
	return BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum); /* 0 for an exiting task (nsproxy NULL) */
}

/*
 * The header for the current task, with CO-RE reads through bpf_get_current_task() (common.h's
 * fill_event_header needs a BTF task pointer, which 5.10 cannot give a raw tracepoint).
 */
static __always_inline void fill_header_current(struct event_header *h, __u16 kind, struct task_struct *task)
{
	h->kind = kind;
	h->flags = 0;
	h->size = 0;
	h->boot_ns = bpf_ktime_get_boot_ns();
	h->tid = BPF_CORE_READ(task, pid);
	h->pid = BPF_CORE_READ(task, tgid);
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = BPF_CORE_READ(task, cred, uid.val);
	h->gid = BPF_CORE_READ(task, cred, gid.val);
	h->euid = BPF_CORE_READ(task, cred, euid.val);
	h->egid = BPF_CORE_READ(task, cred, egid.val);
	h->auid = BPF_CORE_READ(task, loginuid.val);
	h->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline int emit(__u16 kind, struct cgroup *cgrp, const char *path,
				struct task_struct *moved, bool threadgroup)
{
	__u32 zero = 0;
	int hierarchy = BPF_CORE_READ(cgrp, root, hierarchy_id);
	if (default_hierarchy_only && hierarchy != 0)
		return 0;

	struct cgroup_record *r = bpf_map_lookup_elem(&cgroup_scratch, &zero);
	if (!r)
		return 0;
	struct task_struct *current = (struct task_struct *)bpf_get_current_task();
	fill_header_current(&r->h, kind, current);

	struct kernfs_node *kn = BPF_CORE_READ(cgrp, kn);
	r->cgroup_id = BPF_CORE_READ(kn, id);
	r->hierarchy_id = hierarchy;
	r->level = BPF_CORE_READ(cgrp, level);
	struct kernfs_iattrs *attrs = BPF_CORE_READ(kn, iattr);
	r->owner_uid = attrs ? BPF_CORE_READ(attrs, ia_uid.val) : 0;
	r->actor_mnt_ns = mnt_ns_of(current);
	if (moved) {
		r->task_tid = BPF_CORE_READ(moved, pid);
		r->task_pid = BPF_CORE_READ(moved, tgid);
		r->task_mnt_ns = mnt_ns_of(moved);
		r->threadgroup = threadgroup;
	} else {
		r->task_tid = 0;
		r->task_pid = 0;
		r->task_mnt_ns = 0;
		r->threadgroup = 0;
	}
	r->reserved = 0;

	long n = bpf_probe_read_kernel_str(r->path, sizeof(r->path), path);
	__u32 len = n > 0 ? (__u32)(n - 1) : 0; /* without the NUL */
	if (n <= 0)
		r->h.flags |= EVENT_FLAG_PROBE_ERROR;
	/* A path that fills the kernel's buffer may have been cut by the kernel itself. */
	if (len >= CGROUP_PATH_CAP - 1)
		r->h.flags |= EVENT_FLAG_PROBE_ERROR;
	len &= CGROUP_PATH_CAP - 1;
	r->path_len = len;
	__u64 size = CGROUP_RECORD_FIXED_SIZE + len;
	r->h.size = size;
	ring_output(&cgroup_events, &cgroup_events_lost, r, size, sizeof(*r));
	return 0;
}

SEC("raw_tracepoint/cgroup_mkdir")
int cgroup_mkdir(struct bpf_raw_tracepoint_args *ctx)
{
	return emit(EVENT_CGROUP_MKDIR, (struct cgroup *)ctx->args[0], (const char *)ctx->args[1], NULL, false);
}

SEC("raw_tracepoint/cgroup_rmdir")
int cgroup_rmdir(struct bpf_raw_tracepoint_args *ctx)
{
	return emit(EVENT_CGROUP_RMDIR, (struct cgroup *)ctx->args[0], (const char *)ctx->args[1], NULL, false);
}

SEC("raw_tracepoint/cgroup_rename")
int cgroup_rename(struct bpf_raw_tracepoint_args *ctx)
{
	return emit(EVENT_CGROUP_RENAME, (struct cgroup *)ctx->args[0], (const char *)ctx->args[1], NULL, false);
}

SEC("raw_tracepoint/cgroup_attach_task")
int cgroup_attach_task(struct bpf_raw_tracepoint_args *ctx)
{
	return emit(EVENT_CGROUP_ATTACH_TASK, (struct cgroup *)ctx->args[0], (const char *)ctx->args[1],
		    (struct task_struct *)ctx->args[2], (bool)ctx->args[3]);
}
