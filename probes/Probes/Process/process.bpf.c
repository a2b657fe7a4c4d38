// SPDX-License-Identifier: GPL-2.0
/*
 * process.bpf.c: execs, exits and (optionally) forks (ebpf_process_events).
 *
 * exec: sys_enter_execve/execveat note the start time per thread; sys_exit_execve/execveat write one
 * record with the result, whether the exec succeeded or failed:
 *  - succeeded: the task already runs the new image. path is the dentry walk of mm->exe_file (the
 *    binary that runs: for a script, its interpreter; argv shows the script), argv is read in one
 *    piece from the new stack (mm->arg_start..arg_end, where the kernel copied it, NUL-separated).
 *  - failed: the old image is intact, and so are the syscall's argument registers. path is the
 *    filename as given, made absolute with the cwd or the dirfd; argv is read pointer by pointer.
 * cwd is the dentry walk of fs->pwd in both cases. duration is exit minus enter; it is 0 when a
 * non-leader thread exec'd (the thread takes the leader's id, so its start time is not found).
 *
 * exit: tp_btf/sched_process_exit, once per process (when the last thread exits: group_dead, or before
 * Linux 6.16 signal->live reaching 0), with the wait status and the lifetime (now minus the group leader's
 * start_boottime).
 *
 * fork: tp_btf/sched_process_fork for new processes (not threads), when record_forks is set.
 */
#include "kernel.h"
#include "common.h"
#include "path.h"

/* struct exec_record.syscall */
enum process_syscall {
	PS_EXECVE = 1,
	PS_EXECVEAT = 2,
};

/* struct exec_record.info bits */
#define EXEC_INFO_ARGV_CUT 0x01      /* argv was longer than max_argv_bytes or max_args */
#define EXEC_INFO_PATH_FROM_CWD 0x02 /* (failed exec) path was relative to the cwd */
#define EXEC_INFO_ARGV_COUNTED 0x04  /* argc counts the strings in argv (failed exec); else count them */

/* Bytes for path and cwd before they are cut; argv has its own room after them. */
#define EXEC_DATA_LIMIT 8192
/* Largest max_argv_bytes the loader may set. */
#define ARGV_CAP 16384
/* Largest max_args the loader may set (a failed exec's argv is read pointer by pointer). */
#define MAX_ARGS_CAP 256
/* A failed exec's arguments are read at most this many bytes each. */
#define FAILED_ARG_MAX 1024

struct exec_record {
	struct event_header h;
	__s64 ret;          /* the exec's return value: 0 or a negative errno */
	__u64 duration_ns;  /* enter to exit of the syscall, 0 when unknown */
	__u16 syscall;      /* enum process_syscall */
	__u16 argc;         /* strings in argv when EXEC_INFO_ARGV_COUNTED */
	__u16 path_len;     /* data[0, path_len): the executable's absolute path */
	__u16 cwd_len;      /* then cwd_len bytes: the working directory */
	__u32 argv_len;     /* then argv_len bytes: the arguments, each ended by NUL (the last may be cut) */
	__u32 info;         /* EXEC_INFO_* */
	__u8 data[EXEC_DATA_LIMIT + ARGV_CAP + FAILED_ARG_MAX];
};

#define EXEC_RECORD_FIXED_SIZE 104
_Static_assert(__builtin_offsetof(struct exec_record, data) == EXEC_RECORD_FIXED_SIZE, "mirrored in C#");

struct exit_record {
	struct event_header h;
	__s64 status;       /* task->exit_code: (code << 8) | signal, 0x80 when it dumped core */
	__u64 lifetime_ns;  /* now minus the group leader's start_boottime */
};

_Static_assert(sizeof(struct exit_record) == 88, "mirrored in C#");

struct fork_record {
	struct event_header h; /* the child: tid == pid, ppid its parent */
	__u64 parent_start_ns; /* reserved for process keys; the parent's start_boottime */
};

_Static_assert(sizeof(struct fork_record) == 80, "mirrored in C#");

/* ---- configuration (.rodata, set by the loader; see ProbeSettings) ---- */
/* Bytes of argv to capture (at most ARGV_CAP); longer argv is cut and flagged. */
const volatile __u32 max_argv_bytes = 4096;
/* Arguments to capture of a failed exec (at most MAX_ARGS_CAP). User space applies it to all execs. */
const volatile __u32 max_args = 128;
/* Record forks of new processes. */
const volatile bool record_forks = false;

DEFINE_RING(process_events, 4 << 20);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_record);
} exec_scratch SEC(".maps");

/* Thread id -> bpf_ktime_get_boot_ns() at exec entry. LRU: an entry whose exit never came is evicted. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} exec_start SEC(".maps");

static __always_inline int note_exec_start(void)
{
	if (ignore_current())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_boot_ns();
	bpf_map_update_elem(&exec_start, &tid, &now, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int sys_enter_execve(struct syscall_enter_ctx *ctx)
{
	return note_exec_start();
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int sys_enter_execveat(struct syscall_enter_ctx *ctx)
{
	return note_exec_start();
}

/* A successful exec's argv: one read of the new stack's argument area. */
static __always_inline void append_new_argv(struct record_cursor *cursor, struct exec_record *rec,
					    struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	__u64 len = end - start;
	__u32 limit = max_argv_bytes;

	if (end <= start)
		return;
	if (limit > ARGV_CAP)
		limit = ARGV_CAP;
	if (len > limit) {
		len = limit;
		rec->info |= EXEC_INFO_ARGV_CUT;
		rec->h.flags |= EVENT_FLAG_PROBE_ERROR;
	}
	__u32 off = cursor->off;
	if (off >= EXEC_DATA_LIMIT || len > ARGV_CAP) {
		rec->h.flags |= EVENT_FLAG_PROBE_ERROR;
		return;
	}
	if (bpf_probe_read_user(&rec->data[off], len, (void *)start) != 0) {
		rec->h.flags |= EVENT_FLAG_PROBE_ERROR;
		return;
	}
	cursor->off = off + len;
}

/* A failed exec's argv: the caller's argv array, string by string. */
static __always_inline void append_old_argv(struct record_cursor *cursor, struct exec_record *rec,
					    const char *const *argv)
{
	__u32 start = cursor->off;
	__u32 limit = max_argv_bytes;
	__u32 argc = 0;

	if (limit > ARGV_CAP)
		limit = ARGV_CAP;
	rec->info |= EXEC_INFO_ARGV_COUNTED;
	if (!argv)
		return;
	for (int i = 0; i < MAX_ARGS_CAP; i++) {
		const char *arg = NULL;
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) != 0) {
			rec->h.flags |= EVENT_FLAG_PROBE_ERROR;
			break;
		}
		if (!arg)
			break;
		__u32 off = cursor->off;
		if (i >= max_args || off - start >= limit || off >= EXEC_DATA_LIMIT + ARGV_CAP) {
			rec->info |= EXEC_INFO_ARGV_CUT;
			rec->h.flags |= EVENT_FLAG_PROBE_ERROR;
			break;
		}
		long n = bpf_probe_read_user_str(&rec->data[off], FAILED_ARG_MAX, arg);
		if (n <= 0) {
			rec->h.flags |= EVENT_FLAG_PROBE_ERROR;
			break;
		}
		if (n == FAILED_ARG_MAX) {
			rec->info |= EXEC_INFO_ARGV_CUT;
			rec->h.flags |= EVENT_FLAG_PROBE_ERROR;
		}
		cursor->off = off + n; /* keeps the NUL: it separates the arguments */
		argc++;
	}
	rec->argc = argc;
}

static __always_inline int emit_exec(struct syscall_exit_ctx *ctx, __u16 syscall)
{
	if (ignore_current())
		return 0;

	__u32 zero = 0;
	struct exec_record *rec = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!rec)
		return 0;
	struct record_cursor *cursor = begin_record_data();
	if (!cursor)
		return 0;

	struct task_struct *task = current_task();
	struct walk_root root;
	read_task_root(task, &root);

	fill_event_header(&rec->h, EVENT_PROCESS_EXEC, task);
	rec->ret = ctx->ret;
	rec->duration_ns = 0;
	rec->syscall = syscall;
	rec->argc = 0;
	rec->path_len = 0;
	rec->cwd_len = 0;
	rec->argv_len = 0;
	rec->info = 0;

	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *started = bpf_map_lookup_elem(&exec_start, &tid);
	if (started) {
		rec->duration_ns = rec->h.boot_ns - *started;
		bpf_map_delete_elem(&exec_start, &tid);
	}

	/* path */
	/* A failed exec's arguments (NULL when they cannot be found: the path read fails and flags the record). */
	struct pt_regs *regs = current_syscall_regs(task, ctx->syscall_nr);
	if (ctx->ret == 0) {
		struct file *exe = BPF_CORE_READ(task, mm, exe_file);
		if (exe)
			append_file_path(cursor, rec->data, EXEC_DATA_LIMIT, exe, &root, &rec->h.flags);
		else
			rec->h.flags |= EVENT_FLAG_PROBE_ERROR;
	} else {
		int dirfd = AT_FDCWD;
		const char *filename = (const char *)SYSCALL_ARG1(regs);
		if (syscall == PS_EXECVEAT) {
			dirfd = (int)SYSCALL_ARG1(regs);
			filename = (const char *)SYSCALL_ARG2(regs);
		}
		bool from_cwd = false;
		append_at_path(cursor, rec->data, EXEC_DATA_LIMIT, task, &root, dirfd, filename, &rec->h.flags, &from_cwd);
		if (from_cwd)
			rec->info |= EXEC_INFO_PATH_FROM_CWD;
	}
	__u32 path_len = cursor->off;
	rec->path_len = path_len;

	/* cwd */
	append_cwd_path(cursor, rec->data, EXEC_DATA_LIMIT, task, &root, &rec->h.flags);
	__u32 argv_start = cursor->off;
	rec->cwd_len = argv_start - path_len;

	/* argv */
	if (ctx->ret == 0)
		append_new_argv(cursor, rec, task);
	else
		append_old_argv(cursor, rec,
				(const char *const *)(syscall == PS_EXECVEAT ? SYSCALL_ARG3(regs) : SYSCALL_ARG2(regs)));
	rec->argv_len = cursor->off - argv_start;

	__u64 size = EXEC_RECORD_FIXED_SIZE + (__u64)cursor->off;
	if (size > sizeof(*rec))
		return 0;
	rec->h.size = size;
	ring_output(&process_events, &process_events_lost, rec, size, sizeof(*rec));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int sys_exit_execve(struct syscall_exit_ctx *ctx)
{
	return emit_exec(ctx, PS_EXECVE);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int sys_exit_execveat(struct syscall_exit_ctx *ctx)
{
	return emit_exec(ctx, PS_EXECVEAT);
}

/* One exit record for task, the last thread of its process. */
static __always_inline int emit_exit(struct task_struct *task)
{
	struct exit_record *rec = ring_reserve(process_events, struct exit_record);
	if (!rec)
		return 0;
	fill_event_header(&rec->h, EVENT_PROCESS_EXIT, task);
	rec->h.size = sizeof(*rec);
	rec->status = task->exit_code;
	rec->lifetime_ns = rec->h.boot_ns - task->group_leader->start_boottime;
	ring_submit(process_events, rec);
	return 0;
}

/*
 * sched_process_exit(struct task_struct *p, bool group_dead) runs in the exiting thread; group_dead is true
 * for the last thread of the process. The argument exists since Linux 6.16; the loader picks
 * sched_process_exit_live below on older kernels (probes/Probes: the hook's variants).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *task, bool group_dead)
{
	if (!group_dead || ignore_current())
		return 0;
	if (task->flags & PF_KTHREAD)
		return 0;
	return emit_exit(task);
}

/* A process whose exit was recorded: its signal struct, with the tgid and start time that make it unique. */
struct exit_key {
	__u64 signal;
	__u64 start_ns;
	__u32 tgid;
	__u32 reserved;
};

/* Processes whose exit sched_process_exit_live recorded lately. An LRU: only the last moments matter. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct exit_key);
	__type(value, __u8);
} exits_recorded SEC(".maps");

/*
 * sched_process_exit(struct task_struct *p) before Linux 6.16. do_exit() decrements signal->live before the
 * tracepoint, so the last thread of a process sees 0 there. Threads exiting together (exit_group) can each see
 * 0, though, when the last one's decrement comes before another one's tracepoint: the first of them to get
 * here records the exit, and exits_recorded keeps the others from recording it again.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit_live, struct task_struct *task)
{
	if (ignore_current())
		return 0;
	if (task->flags & PF_KTHREAD)
		return 0;
	struct signal_struct *signal = task->signal;
	if (signal->live.counter != 0)
		return 0;
	struct exit_key key = {
		.signal = (__u64)signal,
		.start_ns = task->group_leader->start_boottime,
		.tgid = task->tgid,
	};
	__u8 seen = 1;
	if (bpf_map_update_elem(&exits_recorded, &key, &seen, BPF_NOEXIST) != 0)
		return 0;
	return emit_exit(task);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	if (!record_forks || ignore_current())
		return 0;
	if (child->pid != child->tgid)
		return 0; /* a new thread, not a new process */

	struct fork_record *rec = ring_reserve(process_events, struct fork_record);
	if (!rec)
		return 0;
	fill_event_header(&rec->h, EVENT_PROCESS_FORK, child);
	rec->h.size = sizeof(*rec);
	rec->parent_start_ns = parent->group_leader->start_boottime;
	ring_submit(process_events, rec);
	return 0;
}
