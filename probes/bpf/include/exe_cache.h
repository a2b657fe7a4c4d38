/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The acting process's executable path, cached per process, for probes that put it in every record
 * (file.bpf.c, socket.bpf.c). Without the cache each record pays for a dentry walk of mm->exe_file (about
 * 400 ns, a fifth of the file probe's cost). An entry is used while the process's exe_file is the same
 * struct file with the same inode: an exec installs a new file, and a recycled tgid with a recycled file
 * pointer would also need the same inode number to be confused. A binary renamed while it runs keeps its
 * old name here. Paths longer than EXE_CACHE_PATH are walked every time.
 *
 * Include after path.h. Defines the maps exe_cache and exe_scratch in the including object.
 */
#ifndef OSQUERY_BPF_EXE_CACHE_H
#define OSQUERY_BPF_EXE_CACHE_H

#define EXE_CACHE_PATH 256

struct exe_cache_entry {
	__u64 file;
	__u64 ino;
	__u32 len;
	__u16 flags;  /* EVENT_FLAG_PROBE_ERROR when the walk was cut */
	__u16 reserved;
	__u8 path[EXE_CACHE_PATH];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct exe_cache_entry);
} exe_cache SEC(".maps");

/* Where a new entry is built: too large for the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exe_cache_entry);
} exe_scratch SEC(".maps");

/*
 * Appends the executable of task at data[cursor->off] (limit: the record's DATA_LIMIT, a power of two) and
 * advances the cursor; returns the path's length, 0 when there is none. *flags gets EVENT_FLAG_PROBE_ERROR
 * when the path was cut or did not fit.
 */
static __always_inline __u32 append_executable(struct record_cursor *cursor, __u8 *data, __u32 limit,
					       struct task_struct *task, __u16 *flags)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	if (!exe)
		return 0;
	__u32 tgid = TASK_READ(task, tgid);
	__u64 ino = BPF_CORE_READ(exe, f_inode, i_ino);
	__u32 start = cursor->off;
	if (start >= limit) {
		*flags |= EVENT_FLAG_PROBE_ERROR;
		return 0;
	}

	struct exe_cache_entry *cached = bpf_map_lookup_elem(&exe_cache, &tgid);
	if (cached && cached->file == (__u64)exe && cached->ino == ino) {
		__u32 len = cached->len;
		if (len == 0 || len > EXE_CACHE_PATH)
			return 0;
		if (bpf_probe_read_kernel(&data[BOUNDED_INDEX(start, limit - 1)], len, cached->path) != 0)
			return 0;
		*flags |= cached->flags;
		cursor->off = start + len;
		return len;
	}

	struct walk_root root;
	read_task_root(task, &root);
	__u16 walk_flags = 0;
	append_file_path(cursor, data, limit, exe, &root, &walk_flags);
	__u32 len = cursor->off - start;
	*flags |= walk_flags;

	__u32 zero = 0;
	struct exe_cache_entry *entry = bpf_map_lookup_elem(&exe_scratch, &zero);
	if (entry && len > 0 && len <= EXE_CACHE_PATH) {
		entry->file = (__u64)exe;
		entry->ino = ino;
		entry->len = len;
		entry->flags = walk_flags;
		entry->reserved = 0;
		if (bpf_probe_read_kernel(entry->path, len, &data[BOUNDED_INDEX(start, limit - 1)]) == 0)
			bpf_map_update_elem(&exe_cache, &tgid, entry, BPF_ANY);
	}
	return len;
}

#endif
