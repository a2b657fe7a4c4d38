/* SPDX-License-Identifier: GPL-2.0 */
/*
 * path.h: building a record's variable data (absolute paths, user strings) in the kernel,
 * without bpf_d_path (which tracepoints may not call).
 *
 * append_dentry_path() walks a (dentry, vfsmount) pair up to the task's root the way d_path does:
 * at a mount's root it steps to the mountpoint in the parent mount, so bind mounts and nested mounts
 * come out as the path the process sees. The walk is bounded (MAX_PATH_COMPONENTS, and PATH_MAX
 * bytes); when it stops early the path is cut, EVENT_FLAG_PROBE_ERROR is set, and the string holds
 * the components that were read without a leading '/' (it is not anchored at the root).
 *
 * Differences from d_path (as in every BPF dentry walk): no " (deleted)" suffix for unlinked files;
 * pseudo files come out as "/" plus their dentry name ("/memfd:x") or "/" alone when the name is
 * generated (pipes, sockets). The walk takes no locks; a concurrent rename can make it see a mix
 * of old and new names.
 *
 * Verifier cost: every append keeps its write position in the per-CPU `record_cursor` rather than
 * in a local. The verifier does not track values in map memory, so after each append every path
 * through the program looks the same to it; with locals it would track each possible position
 * separately and several walks in one program multiply into millions of states.
 *
 * Per-CPU scratch (the cursor here, the record buffers in the probes) is safe because a record is
 * built from start to ring output without interruption on one CPU: the syscall tracepoints run BPF
 * with preemption disabled (kernel/trace/trace_syscalls.c, perf_syscall_enter/exit), and the kernel
 * does not nest tracing programs on a CPU (bpf_prog_active). tp_btf programs here reserve their
 * records directly in the ring and use no scratch.
 *
 * Usage: cursor = begin_record_data(); append_*(cursor, rec->data, ...); size = cursor->off.
 * The data area must have at least DATA_LIMIT + PATH_MAX bytes, DATA_LIMIT a power of two: writes
 * start only below DATA_LIMIT and none is longer than PATH_MAX.
 */
#ifndef OSQUERY_BPF_PATH_H
#define OSQUERY_BPF_PATH_H

#ifndef MAX_PATH_COMPONENTS
#define MAX_PATH_COMPONENTS 64
#endif

#define PATH_MASK (PATH_MAX - 1)

struct record_cursor {
	__u32 off;      /* next write position in the record's data area */
	__u32 pos;      /* start of the path prepended into buf[pos, PATH_MAX) */
	__u32 complete; /* the walk reached the root */
	__u32 reserved;
	char buf[PATH_MAX + NAME_MAX + 1];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct record_cursor);
} record_cursor SEC(".maps");

/* The (mount, dentry) pair where a walk stops: the task's root directory (fs->root). */
struct walk_root {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

/* Reads the task's root; the values are plain numbers (probe reads), as walk_path_once() needs. */
static __always_inline void read_task_root(struct task_struct *task, struct walk_root *root)
{
	/* Two probe reads (fs, then the whole struct path) rather than one chain per field. */
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct path path = {};
	BPF_CORE_READ_INTO(&path, fs, root);
	root->mnt = path.mnt;
	root->dentry = path.dentry;
}

/* This CPU's cursor, reset to the start of the data area; NULL only if the map is missing. */
static __always_inline struct record_cursor *begin_record_data(void)
{
	__u32 zero = 0;
	struct record_cursor *cursor = bpf_map_lookup_elem(&record_cursor, &zero);
	if (cursor)
		cursor->off = 0;
	return cursor;
}

/* Appends one byte. */
static __always_inline void append_byte(struct record_cursor *cursor, __u8 *data, __u32 limit, __u8 c, __u16 *flags)
{
	__u32 off = cursor->off;
	if (off >= limit) {
		*flags |= EVENT_FLAG_PROBE_ERROR;
		return;
	}
	data[BOUNDED_INDEX(off, limit - 1)] = c;
	cursor->off = off + 1;
}

/*
 * Appends a NUL-terminated user string without its NUL (at most PATH_MAX - 1 bytes). A string that
 * fills PATH_MAX, or cannot be read, sets EVENT_FLAG_PROBE_ERROR.
 */
static __always_inline void append_user_string(struct record_cursor *cursor, __u8 *data, __u32 limit,
					       const char *str, __u16 *flags)
{
	__u32 off = cursor->off;
	if (off >= limit) {
		*flags |= EVENT_FLAG_PROBE_ERROR;
		return;
	}
	long n = bpf_probe_read_user_str(&data[BOUNDED_INDEX(off, limit - 1)], PATH_MAX, str);
	if (n <= 0) {
		*flags |= EVENT_FLAG_PROBE_ERROR;
		return;
	}
	if (n >= PATH_MAX)
		*flags |= EVENT_FLAG_PROBE_ERROR;
	cursor->off = off + (__u32)n - 1;
}

/* Walks (dentry, vfsmnt) up to root, prepending "/name" components into cursor->buf[cursor->pos, PATH_MAX). */
static __always_inline void walk_dentries(struct record_cursor *cursor, struct dentry *dentry, struct vfsmount *vfsmnt,
					  const struct walk_root *root)
{
	__u64 mnt_offset = bpf_core_field_offset(struct mount, mnt);
	struct mount *mnt = (void *)vfsmnt - mnt_offset;
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);

	cursor->pos = PATH_MAX;
	cursor->complete = 0;
	for (int i = 0; i < MAX_PATH_COMPONENTS; i++) {
		if (dentry == root->dentry && vfsmnt == root->mnt) {
			cursor->complete = 1;
			return;
		}
		if (dentry == mnt_root) {
			struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
			if (mnt == mnt_parent) {
				cursor->complete = 1; /* the top of the mount tree */
				return;
			}
			/* Cross from this mount's root to where it is mounted in the parent mount. */
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			vfsmnt = (void *)mnt + mnt_offset;
			mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
			continue;
		}
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		struct qstr name;
		if (BPF_CORE_READ_INTO(&name, dentry, d_name) != 0)
			return;
		__u32 len = name.len;
		/*
		 * A dentry that is its own parent but no mount root is a pseudo file (memfd, shm, anon
		 * inode) or a disconnected dentry: its own name is all there is.
		 */
		if (dentry == parent && len == 0) {
			cursor->complete = 1;
			return;
		}
		__u32 pos = cursor->pos;
		if (len > NAME_MAX || len + 1 > pos)
			return; /* no room left: the path is cut */
		pos -= len + 1;
		if (bpf_probe_read_kernel(&cursor->buf[BOUNDED_INDEX(pos + 1, PATH_MASK)], BOUNDED_INDEX(len, NAME_MAX), name.name) != 0)
			return;
		cursor->buf[BOUNDED_INDEX(pos, PATH_MASK)] = '/';
		cursor->pos = pos;
		if (dentry == parent) {
			cursor->complete = 1;
			return;
		}
		dentry = parent;
	}
}

/*
 * The walk as a global BPF function: the verifier checks it once per program instead of once per
 * call site, which cut the load time of file.bpf.c (26 programs, up to three walks each) several
 * times. Global functions take plain numbers, so every pointer here comes from a probe read.
 */
__attribute__((noinline)) int walk_path_once(__u64 dentry, __u64 vfsmnt, __u64 root_dentry, __u64 root_mnt)
{
	__u32 zero = 0;
	struct record_cursor *cursor = bpf_map_lookup_elem(&record_cursor, &zero);
	if (!cursor)
		return 0;
	struct walk_root root = { .mnt = (struct vfsmount *)root_mnt, .dentry = (struct dentry *)root_dentry };
	walk_dentries(cursor, (struct dentry *)dentry, (struct vfsmount *)vfsmnt, &root);
	return 0;
}

/* Appends the absolute path of (dentry, vfsmnt), without a NUL. */
static __always_inline void append_dentry_path(struct record_cursor *cursor, __u8 *data, __u32 limit,
					       struct dentry *dentry, struct vfsmount *vfsmnt,
					       const struct walk_root *root, __u16 *flags)
{
	cursor->pos = PATH_MAX;
	cursor->complete = 0; /* also when the call below finds no cursor */
	walk_path_once((__u64)dentry, (__u64)vfsmnt, (__u64)root->dentry, (__u64)root->mnt);

	__u32 pos = cursor->pos;
	if (!cursor->complete) {
		*flags |= EVENT_FLAG_PROBE_ERROR;
		pos++; /* a cut path does not start with '/': it is not anchored at the root */
	}
	if (pos >= PATH_MAX) {
		/* Nothing prepended: the root itself ("/"), or a cut walk that read nothing. */
		if (cursor->complete)
			append_byte(cursor, data, limit, '/', flags);
		return;
	}
	__u32 off = cursor->off;
	if (off >= limit) {
		*flags |= EVENT_FLAG_PROBE_ERROR;
		return;
	}
	__u32 size = OPAQUE(PATH_MAX - pos);
	if (size > PATH_MAX)
		return; /* cannot happen; tells the verifier the bound */
	if (bpf_probe_read_kernel(&data[BOUNDED_INDEX(off, limit - 1)], size, &cursor->buf[BOUNDED_INDEX(pos, PATH_MASK)]) != 0) {
		*flags |= EVENT_FLAG_PROBE_ERROR;
		return;
	}
	cursor->off = off + size;
}

/* Appends the path of an open file (struct file's f_path). */
static __always_inline void append_file_path(struct record_cursor *cursor, __u8 *data, __u32 limit, struct file *file,
					     const struct walk_root *root, __u16 *flags)
{
	struct path path = {};
	BPF_CORE_READ_INTO(&path, file, f_path);
	struct dentry *dentry = path.dentry;
	struct vfsmount *vfsmnt = path.mnt;
	append_dentry_path(cursor, data, limit, dentry, vfsmnt, root, flags);
}

/* Appends the task's current working directory (fs->pwd). */
static __always_inline void append_cwd_path(struct record_cursor *cursor, __u8 *data, __u32 limit,
					    struct task_struct *task, const struct walk_root *root, __u16 *flags)
{
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct path path = {};
	BPF_CORE_READ_INTO(&path, fs, pwd);
	struct dentry *dentry = path.dentry;
	struct vfsmount *vfsmnt = path.mnt;
	append_dentry_path(cursor, data, limit, dentry, vfsmnt, root, flags);
}

/* The open file behind a descriptor of the task, or NULL. */
static __always_inline struct file *task_fd_file(struct task_struct *task, int fd)
{
	if (fd < 0)
		return NULL;
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max_fds = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned int)fd >= max_fds)
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/*
 * Appends the absolute path a syscall means by (dirfd, name): an absolute name as given, else the
 * cwd (dirfd == AT_FDCWD, *from_cwd set) or the dirfd's path, '/', and the name. An empty name
 * (AT_EMPTY_PATH) means the dirfd itself. Returns how many bytes came from the dentry walk (0 for
 * an absolute name).
 */
static __always_inline __u32 append_at_path(struct record_cursor *cursor, __u8 *data, __u32 limit,
					    struct task_struct *task, const struct walk_root *root, int dirfd,
					    const char *name, __u16 *flags, bool *from_cwd)
{
	char first = 0;
	if (bpf_probe_read_user(&first, 1, name) != 0) {
		*flags |= EVENT_FLAG_PROBE_ERROR;
		return 0;
	}
	if (first == '/') {
		append_user_string(cursor, data, limit, name, flags);
		return 0;
	}

	__u32 start = cursor->off;
	if (dirfd == AT_FDCWD) {
		append_cwd_path(cursor, data, limit, task, root, flags);
		*from_cwd = true;
	} else {
		struct file *dir = task_fd_file(task, dirfd);
		if (dir)
			append_file_path(cursor, data, limit, dir, root, flags);
		else
			*flags |= EVENT_FLAG_PROBE_ERROR; /* a bad dirfd: the syscall failed with EBADF */
	}
	__u32 dir_len = cursor->off - start;
	if (first == 0)
		return dir_len;
	/* Join with '/', except after the root itself. */
	if (!(dir_len == 1 && data[BOUNDED_INDEX(start, limit - 1)] == '/'))
		append_byte(cursor, data, limit, '/', flags);
	append_user_string(cursor, data, limit, name, flags);
	return dir_len;
}

#endif /* OSQUERY_BPF_PATH_H */
