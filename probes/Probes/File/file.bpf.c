// SPDX-License-Identifier: GPL-2.0
/*
 * file.bpf.c: file operations (ebpf_file_events).
 *
 * One program per syscall, on the syscall's exit tracepoint (tracepoint/syscalls/sys_exit_NAME), and
 * one record per syscall. The arguments are read at exit from the task's saved user registers
 * (bpf_task_pt_regs): none of these syscalls changes its argument registers, and at exit the user
 * strings are paged in because the kernel has just read them. This halves the programs that run
 * per operation compared with an enter/exit pair joined through a hash map.
 *
 * Paths are absolute and resolved in the kernel: an absolute user path is taken as given; a relative
 * one is joined with the dentry walk of the cwd (AT_FDCWD) or of the dirfd's file; fd operations
 * (fchmod, fchown, ftruncate) use the fd's file. The record carries the result, raw flags, the mode,
 * the new owner, the inode when it is cheap (successful opens, fd operations) and, unless disabled,
 * the acting process's executable.
 *
 * Filters applied here, before anything is written: the extension's own process (ignore_tgid), opens
 * for reading only (off unless record_read_opens), and path prefixes (include_prefixes and
 * exclude_prefixes).
 *
 * Not seen: 32-bit compat syscalls (the syscall tracepoints skip them on x86_64 and arm64), and io_uring
 * operations, which do not go through these syscalls.
 */
#include "kernel.h"
#include "common.h"
#include "path.h"
#include "exe_cache.h"

/* struct file_record.action */
enum file_action {
	FILE_OPEN = 1,
	FILE_CREATE = 2,
	FILE_TRUNCATE = 3,
	FILE_UNLINK = 4,
	FILE_RENAME = 5,
	FILE_MKDIR = 6,
	FILE_RMDIR = 7,
	FILE_CHMOD = 8,
	FILE_CHOWN = 9,
	FILE_LINK = 10,
	FILE_SYMLINK = 11,
};

/* struct file_record.syscall */
enum file_syscall {
	FS_OPENAT = 1,
	FS_OPENAT2 = 2,
	FS_OPEN = 3,
	FS_CREAT = 4,
	FS_TRUNCATE = 5,
	FS_FTRUNCATE = 6,
	FS_UNLINK = 7,
	FS_UNLINKAT = 8,
	FS_RENAME = 9,
	FS_RENAMEAT = 10,
	FS_RENAMEAT2 = 11,
	FS_MKDIR = 12,
	FS_MKDIRAT = 13,
	FS_RMDIR = 14,
	FS_CHMOD = 15,
	FS_FCHMOD = 16,
	FS_FCHMODAT = 17,
	FS_FCHMODAT2 = 18,
	FS_CHOWN = 19,
	FS_LCHOWN = 20,
	FS_FCHOWN = 21,
	FS_FCHOWNAT = 22,
	FS_LINK = 23,
	FS_LINKAT = 24,
	FS_SYMLINK = 25,
	FS_SYMLINKAT = 26,
};

/* struct file_record.info bits */
#define FILE_INFO_HAS_MODE 0x01       /* mode is meaningful */
#define FILE_INFO_HAS_OWNER 0x02      /* owner_uid/owner_gid are meaningful (-1 means unchanged) */
#define FILE_INFO_PATH_FROM_CWD 0x04  /* path[0, path_dir_len) is the process's cwd */
#define FILE_INFO_DEST_VERBATIM 0x08  /* dest is a symlink's target, as given (not resolved) */

/* Bytes of strings a record may carry before pieces are cut (path, dest, executable). */
#define FILE_DATA_LIMIT 16384
#define FILE_DATA_MASK (FILE_DATA_LIMIT - 1)

struct file_record {
	struct event_header h;
	__s64 ret;          /* the syscall's return value (negative errno on failure) */
	__u64 inode;        /* inode number when cheap to know, else 0 */
	__u32 flags;        /* open: O_* flags; unlinkat/fchmodat2/fchownat/linkat: AT_* flags; renameat2: RENAME_* */
	__u32 mode;         /* open with O_CREAT/O_TMPFILE, creat, mkdir, chmod: the mode argument */
	__u32 owner_uid;    /* chown family: the new owner (0xffffffff: unchanged) */
	__u32 owner_gid;
	__u16 syscall;      /* enum file_syscall */
	__u8 action;        /* enum file_action */
	__u8 info;          /* FILE_INFO_* */
	__u16 path_len;     /* data[0, path_len): the file's absolute path */
	__u16 path_dir_len; /* bytes of path that came from a dentry walk (cwd or dirfd), 0 for absolute user paths */
	__u16 dest_len;     /* then dest_len bytes: rename/link destination, symlink target */
	__u16 exe_len;      /* then exe_len bytes: the acting process's executable */
	__u32 reserved;
	__u8 data[FILE_DATA_LIMIT + PATH_MAX];
};

#define FILE_RECORD_FIXED_SIZE 120
_Static_assert(__builtin_offsetof(struct file_record, data) == FILE_RECORD_FIXED_SIZE, "mirrored in C#");

/* ---- configuration (.rodata, set by the loader; see ProbeSettings) ---- */
#define MAX_PREFIXES 8
#define PREFIX_MAX 64

/* Record opens that only read (O_RDONLY without O_CREAT/O_TRUNC), and O_PATH opens. Off: they dwarf everything else. */
const volatile bool record_read_opens = false;
/* Add the acting process's executable (a dentry walk of mm->exe_file) to every record. */
const volatile bool record_executable = true;
/* Keep only operations whose path or destination starts with one of these (when any are set). */
const volatile __u32 include_prefix_count = 0;
const volatile __u8 include_prefix_lens[MAX_PREFIXES] = {};
const volatile char include_prefixes[MAX_PREFIXES][PREFIX_MAX] = {};
/* Drop operations whose path starts with one of these. */
const volatile __u32 exclude_prefix_count = 0;
const volatile __u8 exclude_prefix_lens[MAX_PREFIXES] = {};
const volatile char exclude_prefixes[MAX_PREFIXES][PREFIX_MAX] = {};

DEFINE_RING(file_events, 8 << 20);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_record);
} file_scratch SEC(".maps");

/* What one syscall did, as the program for that syscall describes it. */
struct file_op {
	__u16 syscall;
	__u8 action;
	__u8 info;
	int dirfd;              /* base of name when it is relative */
	const char *name;       /* NULL for fd operations */
	int fd;                 /* fd operations: the file */
	int dest_dirfd;
	const char *dest_name;  /* NULL when the operation has no destination */
	__u32 flags;
	__u32 mode;
	__u32 owner_uid;
	__u32 owner_gid;
};

/* True when data[start, start+len) begins with one of the prefixes. */
static __always_inline bool matches_prefix(const __u8 *data, __u32 start, __u32 len, __u32 count,
					   const volatile __u8 *lens, const volatile char (*prefixes)[PREFIX_MAX])
{
	for (int p = 0; p < MAX_PREFIXES; p++) {
		if (p >= count)
			break;
		__u32 plen = lens[p];
		if (plen == 0 || plen > PREFIX_MAX || plen > len)
			continue;
		bool same = true;
		for (int i = 0; i < PREFIX_MAX; i++) {
			if (i >= plen)
				break;
			if (data[(start + i) & FILE_DATA_MASK] != (__u8)prefixes[p][i]) {
				same = false;
				break;
			}
		}
		if (same)
			return true;
	}
	return false;
}

/* Appends the absolute path of (dirfd, name); returns the length of its walked directory part. */
static __always_inline __u32 append_op_path(struct record_cursor *cursor, struct file_record *rec,
					    struct task_struct *task, const struct walk_root *root, int dirfd,
					    const char *name, bool primary)
{
	bool from_cwd = false;
	__u32 dir_len = append_at_path(cursor, rec->data, FILE_DATA_LIMIT, task, root, dirfd, name, &rec->h.flags,
				       &from_cwd);
	if (from_cwd && primary)
		rec->info |= FILE_INFO_PATH_FROM_CWD;
	return dir_len;
}

static __always_inline int emit_file_op(struct syscall_exit_ctx *ctx, struct file_op *op)
{
	__u32 zero = 0;
	struct file_record *rec = bpf_map_lookup_elem(&file_scratch, &zero);
	if (!rec)
		return 0;
	struct record_cursor *cursor = begin_record_data();
	if (!cursor)
		return 0;

	struct task_struct *task = current_task();
	struct walk_root root;
	read_task_root(task, &root);

	fill_event_header(&rec->h, EVENT_FILE, task);
	rec->ret = ctx->ret;
	rec->inode = 0;
	rec->flags = op->flags;
	rec->mode = op->mode;
	rec->owner_uid = op->owner_uid;
	rec->owner_gid = op->owner_gid;
	rec->syscall = op->syscall;
	rec->action = op->action;
	rec->info = op->info;
	rec->path_dir_len = 0;
	rec->dest_len = 0;
	rec->exe_len = 0;
	rec->reserved = 0;

	if (op->name) {
		rec->path_dir_len = append_op_path(cursor, rec, task, &root, op->dirfd, op->name, true);
	} else {
		struct file *file = task_fd_file(task, op->fd);
		if (file) {
			append_file_path(cursor, rec->data, FILE_DATA_LIMIT, file, &root, &rec->h.flags);
			rec->inode = BPF_CORE_READ(file, f_inode, i_ino);
		} else {
			rec->h.flags |= EVENT_FLAG_PROBE_ERROR;
		}
	}
	__u32 path_len = cursor->off;
	rec->path_len = path_len;

	/* A successful open returned a descriptor: its inode is one lookup away (FS_OPENAT..FS_CREAT are the opens). */
	if (op->syscall <= FS_CREAT && ctx->ret >= 0) {
		struct file *file = task_fd_file(task, (int)ctx->ret);
		if (file)
			rec->inode = BPF_CORE_READ(file, f_inode, i_ino);
	}

	bool dest_included = false;
	if (op->dest_name) {
		__u32 dest_start = cursor->off;
		if (op->info & FILE_INFO_DEST_VERBATIM)
			append_user_string(cursor, rec->data, FILE_DATA_LIMIT, op->dest_name, &rec->h.flags);
		else
			append_op_path(cursor, rec, task, &root, op->dest_dirfd, op->dest_name, false);
		__u32 dest_len = cursor->off - dest_start;
		rec->dest_len = dest_len;
		if (include_prefix_count > 0)
			dest_included = matches_prefix(rec->data, dest_start, dest_len, include_prefix_count,
						       include_prefix_lens, include_prefixes);
	}

	if (include_prefix_count > 0 && !dest_included &&
	    !matches_prefix(rec->data, 0, path_len, include_prefix_count, include_prefix_lens, include_prefixes))
		return 0;
	if (exclude_prefix_count > 0 &&
	    matches_prefix(rec->data, 0, path_len, exclude_prefix_count, exclude_prefix_lens, exclude_prefixes))
		return 0;

	if (record_executable)
		rec->exe_len = append_executable(cursor, rec->data, FILE_DATA_LIMIT, task, &rec->h.flags);

	__u64 size = FILE_RECORD_FIXED_SIZE + (__u64)cursor->off;
	if (size > sizeof(*rec))
		return 0;
	rec->h.size = size;
	ring_output(&file_events, &file_events_lost, rec, size, sizeof(*rec));
	return 0;
}

/* The current syscall's saved user registers. */
static __always_inline struct pt_regs *syscall_regs(struct syscall_exit_ctx *ctx)
{
	return current_syscall_regs(current_task(), ctx->syscall_nr);
}

static __always_inline struct file_op new_op(__u16 syscall, __u8 action)
{
	struct file_op op = {
		.syscall = syscall,
		.action = action,
		.dirfd = AT_FDCWD,
		.fd = -1,
		.dest_dirfd = AT_FDCWD,
		.owner_uid = 0xffffffff,
		.owner_gid = 0xffffffff,
	};
	return op;
}

/* open, openat, openat2 and creat share this: filters read-only opens, names the action. */
static __always_inline int handle_open(struct syscall_exit_ctx *ctx, __u16 syscall, int dirfd, const char *name,
				       __u32 flags, __u32 mode)
{
	if (ignore_current())
		return 0;
	bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | __O_TMPFILE));
	if (!record_read_opens && (!writes || (flags & O_PATH)))
		return 0;
	__u8 action = FILE_OPEN;
	if (flags & (O_CREAT | __O_TMPFILE))
		action = FILE_CREATE;
	else if (flags & O_TRUNC)
		action = FILE_TRUNCATE;
	struct file_op op = new_op(syscall, action);
	op.dirfd = dirfd;
	op.name = name;
	op.flags = flags;
	if (flags & (O_CREAT | __O_TMPFILE)) {
		op.mode = mode & 07777;
		op.info |= FILE_INFO_HAS_MODE;
	}
	return emit_file_op(ctx, &op);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int sys_exit_openat(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_open(ctx, FS_OPENAT, (int)SYSCALL_ARG1(regs), (const char *)SYSCALL_ARG2(regs),
			   (__u32)SYSCALL_ARG3(regs), (__u32)SYSCALL_ARG4(regs));
}

/* struct open_how (include/uapi/linux/openat2.h) */
struct open_how {
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};

SEC("tracepoint/syscalls/sys_exit_openat2")
int sys_exit_openat2(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)SYSCALL_ARG3(regs));
	return handle_open(ctx, FS_OPENAT2, (int)SYSCALL_ARG1(regs), (const char *)SYSCALL_ARG2(regs),
			   (__u32)how.flags, (__u32)how.mode);
}

SEC("tracepoint/syscalls/sys_exit_open")
int sys_exit_open(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_open(ctx, FS_OPEN, AT_FDCWD, (const char *)SYSCALL_ARG1(regs), (__u32)SYSCALL_ARG2(regs),
			   (__u32)SYSCALL_ARG3(regs));
}

SEC("tracepoint/syscalls/sys_exit_creat")
int sys_exit_creat(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	/* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode). */
	return handle_open(ctx, FS_CREAT, AT_FDCWD, (const char *)SYSCALL_ARG1(regs), O_CREAT | O_WRONLY | O_TRUNC,
			   (__u32)SYSCALL_ARG2(regs));
}

/* Operations on one path relative to a dirfd, with an optional mode and AT_* flags. */
static __always_inline int handle_path_op(struct syscall_exit_ctx *ctx, __u16 syscall, __u8 action, int dirfd,
					  const char *name, __u32 flags)
{
	if (ignore_current())
		return 0;
	struct file_op op = new_op(syscall, action);
	op.dirfd = dirfd;
	op.name = name;
	op.flags = flags;
	return emit_file_op(ctx, &op);
}

static __always_inline int handle_mode_op(struct syscall_exit_ctx *ctx, __u16 syscall, __u8 action, int dirfd,
					  const char *name, int fd, __u32 mode, __u32 flags)
{
	if (ignore_current())
		return 0;
	struct file_op op = new_op(syscall, action);
	op.dirfd = dirfd;
	op.name = name;
	op.fd = fd;
	op.mode = mode & 07777;
	op.flags = flags;
	op.info |= FILE_INFO_HAS_MODE;
	return emit_file_op(ctx, &op);
}

static __always_inline int handle_chown(struct syscall_exit_ctx *ctx, __u16 syscall, int dirfd, const char *name,
					int fd, __u32 uid, __u32 gid, __u32 flags)
{
	if (ignore_current())
		return 0;
	struct file_op op = new_op(syscall, FILE_CHOWN);
	op.dirfd = dirfd;
	op.name = name;
	op.fd = fd;
	op.owner_uid = uid;
	op.owner_gid = gid;
	op.flags = flags;
	op.info |= FILE_INFO_HAS_OWNER;
	return emit_file_op(ctx, &op);
}

/* rename, link and symlink: a source and a destination. */
static __always_inline int handle_two_path_op(struct syscall_exit_ctx *ctx, __u16 syscall, __u8 action, int dirfd,
					      const char *name, int dest_dirfd, const char *dest_name, __u32 flags)
{
	if (ignore_current())
		return 0;
	struct file_op op = new_op(syscall, action);
	op.dirfd = dirfd;
	op.name = name;
	op.dest_dirfd = dest_dirfd;
	op.dest_name = dest_name;
	op.flags = flags;
	return emit_file_op(ctx, &op);
}

SEC("tracepoint/syscalls/sys_exit_truncate")
int sys_exit_truncate(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_path_op(ctx, FS_TRUNCATE, FILE_TRUNCATE, AT_FDCWD, (const char *)SYSCALL_ARG1(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_ftruncate")
int sys_exit_ftruncate(struct syscall_exit_ctx *ctx)
{
	if (ignore_current())
		return 0;
	struct pt_regs *regs = syscall_regs(ctx);
	struct file_op op = new_op(FS_FTRUNCATE, FILE_TRUNCATE);
	op.fd = (int)SYSCALL_ARG1(regs);
	return emit_file_op(ctx, &op);
}

SEC("tracepoint/syscalls/sys_exit_unlink")
int sys_exit_unlink(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_path_op(ctx, FS_UNLINK, FILE_UNLINK, AT_FDCWD, (const char *)SYSCALL_ARG1(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_unlinkat")
int sys_exit_unlinkat(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	__u32 flags = (__u32)SYSCALL_ARG3(regs);
	return handle_path_op(ctx, FS_UNLINKAT, (flags & AT_REMOVEDIR) ? FILE_RMDIR : FILE_UNLINK,
			      (int)SYSCALL_ARG1(regs), (const char *)SYSCALL_ARG2(regs), flags);
}

SEC("tracepoint/syscalls/sys_exit_rmdir")
int sys_exit_rmdir(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_path_op(ctx, FS_RMDIR, FILE_RMDIR, AT_FDCWD, (const char *)SYSCALL_ARG1(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_mkdir")
int sys_exit_mkdir(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_mode_op(ctx, FS_MKDIR, FILE_MKDIR, AT_FDCWD, (const char *)SYSCALL_ARG1(regs), -1,
			      (__u32)SYSCALL_ARG2(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_mkdirat")
int sys_exit_mkdirat(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_mode_op(ctx, FS_MKDIRAT, FILE_MKDIR, (int)SYSCALL_ARG1(regs), (const char *)SYSCALL_ARG2(regs), -1,
			      (__u32)SYSCALL_ARG3(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_chmod")
int sys_exit_chmod(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_mode_op(ctx, FS_CHMOD, FILE_CHMOD, AT_FDCWD, (const char *)SYSCALL_ARG1(regs), -1,
			      (__u32)SYSCALL_ARG2(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_fchmod")
int sys_exit_fchmod(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_mode_op(ctx, FS_FCHMOD, FILE_CHMOD, AT_FDCWD, NULL, (int)SYSCALL_ARG1(regs),
			      (__u32)SYSCALL_ARG2(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_fchmodat")
int sys_exit_fchmodat(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_mode_op(ctx, FS_FCHMODAT, FILE_CHMOD, (int)SYSCALL_ARG1(regs), (const char *)SYSCALL_ARG2(regs), -1,
			      (__u32)SYSCALL_ARG3(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_fchmodat2")
int sys_exit_fchmodat2(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_mode_op(ctx, FS_FCHMODAT2, FILE_CHMOD, (int)SYSCALL_ARG1(regs), (const char *)SYSCALL_ARG2(regs),
			      -1, (__u32)SYSCALL_ARG3(regs), (__u32)SYSCALL_ARG4(regs));
}

SEC("tracepoint/syscalls/sys_exit_chown")
int sys_exit_chown(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_chown(ctx, FS_CHOWN, AT_FDCWD, (const char *)SYSCALL_ARG1(regs), -1, (__u32)SYSCALL_ARG2(regs),
			    (__u32)SYSCALL_ARG3(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_lchown")
int sys_exit_lchown(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_chown(ctx, FS_LCHOWN, AT_FDCWD, (const char *)SYSCALL_ARG1(regs), -1, (__u32)SYSCALL_ARG2(regs),
			    (__u32)SYSCALL_ARG3(regs), AT_SYMLINK_NOFOLLOW);
}

SEC("tracepoint/syscalls/sys_exit_fchown")
int sys_exit_fchown(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_chown(ctx, FS_FCHOWN, AT_FDCWD, NULL, (int)SYSCALL_ARG1(regs), (__u32)SYSCALL_ARG2(regs),
			    (__u32)SYSCALL_ARG3(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_fchownat")
int sys_exit_fchownat(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_chown(ctx, FS_FCHOWNAT, (int)SYSCALL_ARG1(regs), (const char *)SYSCALL_ARG2(regs), -1,
			    (__u32)SYSCALL_ARG3(regs), (__u32)SYSCALL_ARG4(regs), (__u32)SYSCALL_ARG5(regs));
}

SEC("tracepoint/syscalls/sys_exit_rename")
int sys_exit_rename(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_two_path_op(ctx, FS_RENAME, FILE_RENAME, AT_FDCWD, (const char *)SYSCALL_ARG1(regs), AT_FDCWD,
				  (const char *)SYSCALL_ARG2(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_renameat")
int sys_exit_renameat(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_two_path_op(ctx, FS_RENAMEAT, FILE_RENAME, (int)SYSCALL_ARG1(regs), (const char *)SYSCALL_ARG2(regs),
				  (int)SYSCALL_ARG3(regs), (const char *)SYSCALL_ARG4(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_renameat2")
int sys_exit_renameat2(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_two_path_op(ctx, FS_RENAMEAT2, FILE_RENAME, (int)SYSCALL_ARG1(regs),
				  (const char *)SYSCALL_ARG2(regs), (int)SYSCALL_ARG3(regs),
				  (const char *)SYSCALL_ARG4(regs), (__u32)SYSCALL_ARG5(regs));
}

SEC("tracepoint/syscalls/sys_exit_link")
int sys_exit_link(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_two_path_op(ctx, FS_LINK, FILE_LINK, AT_FDCWD, (const char *)SYSCALL_ARG1(regs), AT_FDCWD,
				  (const char *)SYSCALL_ARG2(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_linkat")
int sys_exit_linkat(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_two_path_op(ctx, FS_LINKAT, FILE_LINK, (int)SYSCALL_ARG1(regs), (const char *)SYSCALL_ARG2(regs),
				  (int)SYSCALL_ARG3(regs), (const char *)SYSCALL_ARG4(regs), (__u32)SYSCALL_ARG5(regs));
}

/* symlink(target, linkpath): path is the new link (resolved), dest is the target text as given. */
static __always_inline int handle_symlink(struct syscall_exit_ctx *ctx, __u16 syscall, const char *target, int dirfd,
					  const char *linkpath)
{
	if (ignore_current())
		return 0;
	struct file_op op = new_op(syscall, FILE_SYMLINK);
	op.dirfd = dirfd;
	op.name = linkpath;
	op.dest_name = target;
	op.info |= FILE_INFO_DEST_VERBATIM;
	return emit_file_op(ctx, &op);
}

SEC("tracepoint/syscalls/sys_exit_symlink")
int sys_exit_symlink(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_symlink(ctx, FS_SYMLINK, (const char *)SYSCALL_ARG1(regs), AT_FDCWD, (const char *)SYSCALL_ARG2(regs));
}

SEC("tracepoint/syscalls/sys_exit_symlinkat")
int sys_exit_symlinkat(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = syscall_regs(ctx);
	return handle_symlink(ctx, FS_SYMLINKAT, (const char *)SYSCALL_ARG1(regs), (int)SYSCALL_ARG2(regs),
			      (const char *)SYSCALL_ARG3(regs));
}
