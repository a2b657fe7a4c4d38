/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.h: what every osquery-bpf probe shares: the record header, the ring buffer and lost-counter
 * convention, the .rodata configuration convention and the self-exclusion filter.
 *
 * Include order in a probe:  #include "kernel.h"  then  #include "common.h"  (which pulls in
 * libbpf-dev's bpf_helpers.h, bpf_core_read.h and bpf_tracing.h).
 *
 * Conventions (the C# side in probes/Probes relies on them):
 *  - Records are little-endian, fixed-layout structs that start with struct event_header. Variable
 *    data (paths, argv) follows the fixed part; the fixed part says how long each piece is.
 *    probes/Probes/Records mirrors every struct; change both together.
 *  - One ring buffer per probe family, declared with DEFINE_RING(name, bytes). It also declares
 *    `<name>_lost`, a one-entry per-CPU array of __u64 counting records the program could not put
 *    into the ring (ring full). ring_output() / ring_reserve() count those failures; user space
 *    sums the per-CPU values and reports them as drops.
 *  - Configuration is .rodata: `const volatile` globals with a default, set by the loader before
 *    the program is loaded (the verifier then prunes disabled branches). Names are snake_case and
 *    the C# ProbeSettings documents each one. Every probe has ignore_tgid and ring_wakeup_bytes
 *    (below).
 *  - Wake-ups: waking the reader costs the producer an irq_work and the reader a context switch,
 *    several microseconds per record when the reader keeps up (then the kernel's default wakes it
 *    for every record). With ring_wakeup_bytes > 0 a record wakes the reader only when that many
 *    bytes are waiting; the reader must then also drain on a timer (epoll timeout), or the last
 *    records of a burst wait for the next burst. 0 keeps the kernel's default.
 */
#ifndef OSQUERY_BPF_COMMON_H
#define OSQUERY_BPF_COMMON_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

/* Record kinds (event_header.kind). Each probe family owns a range of 16. */
enum event_kind {
	EVENT_PROCESS_EXEC = 1,   /* process.bpf.c: struct exec_record */
	EVENT_PROCESS_EXIT = 2,   /* process.bpf.c: struct exit_record */
	EVENT_PROCESS_FORK = 3,   /* process.bpf.c: struct fork_record */
	EVENT_FILE = 16,          /* file.bpf.c: struct file_record */
	EVENT_SOCKET_FIRST = 32,  /* socket.bpf.c owns 32..47 */
	EVENT_DNS_FIRST = 48,     /* dns.bpf.c owns 48..63 */
};

/* event_header.flags */
#define EVENT_FLAG_PROBE_ERROR 0x0001 /* a field could not be read completely (cut path, unreadable argv) */

/*
 * The first 72 bytes of every record. Ids are the kernel's: tid is task->pid, pid is task->tgid,
 * ppid is task->real_parent->tgid. Credentials come from task->cred (the subjective credentials
 * the task acts with). auid is task->loginuid (4294967295 when unset).
 */
struct event_header {
	__u16 kind;       /* enum event_kind */
	__u16 flags;      /* EVENT_FLAG_* */
	__u32 size;       /* bytes in the whole record, this header included */
	__u64 boot_ns;    /* bpf_ktime_get_boot_ns() when the record was made */
	__u32 tid;
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 auid;
	__u64 cgroup_id;  /* bpf_get_current_cgroup_id(): the cgroup v2 id */
	char comm[TASK_COMM_LEN];
};

_Static_assert(sizeof(struct event_header) == 72, "event_header is mirrored in C#; keep it 72 bytes");

/*
 * The extension's own process, set by the loader so that the extension does not record its own
 * file and socket activity (which would feed back into itself). 0 ignores nobody.
 */
const volatile __u32 ignore_tgid = 0;

/* True when the current task's events must not be recorded. */
static __always_inline bool ignore_current(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	return ignore_tgid != 0 && tgid == ignore_tgid;
}

/*
 * Fills the header from a task (normally bpf_get_current_task_btf()). The task pointer is a BTF
 * pointer, so the field reads below are direct, CO-RE-relocated loads (cheaper than
 * bpf_probe_read_kernel calls); the verifier turns faults into zeros. cgroup_id is the current
 * task's; pass the current task.
 */
static __always_inline void fill_event_header(struct event_header *h, __u16 kind, struct task_struct *task)
{
	const struct cred *cred = task->cred;

	h->kind = kind;
	h->flags = 0;
	h->size = sizeof(*h);
	h->boot_ns = bpf_ktime_get_boot_ns();
	h->tid = task->pid;
	h->pid = task->tgid;
	h->ppid = task->real_parent->tgid;
	h->uid = cred->uid.val;
	h->gid = cred->gid.val;
	h->euid = cred->euid.val;
	h->egid = cred->egid.val;
	h->auid = task->loginuid.val;
	h->cgroup_id = bpf_get_current_cgroup_id();
	bpf_probe_read_kernel_str(h->comm, sizeof(h->comm), task->comm);
}

/* Declares ring buffer `name` of `bytes` (a power of 2, at least a page) and its `name_lost` counter. */
#define DEFINE_RING(name, bytes)                                  \
	struct {                                                   \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                \
		__uint(max_entries, bytes);                        \
	} name SEC(".maps");                                       \
	struct {                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);           \
		__uint(max_entries, 1);                            \
		__type(key, __u32);                                \
		__type(value, __u64);                              \
	} name##_lost SEC(".maps")

/* Bytes waiting in a ring before a record wakes its reader; 0: the kernel's default (see above). */
const volatile __u32 ring_wakeup_bytes = 0;

/* The wake-up flag for a record about to be added to `ring`. */
static __always_inline __u64 ring_wakeup_flags(void *ring)
{
	if (ring_wakeup_bytes == 0)
		return 0;
	return bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= ring_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* Counts one record lost on this CPU in a `<ring>_lost` map. */
static __always_inline void count_lost(void *lost_map)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(lost_map, &zero);
	if (lost)
		__sync_fetch_and_add(lost, 1);
}

/*
 * Copies a record built in scratch memory into the ring (for variable-size records; size must be
 * bounded for the verifier), counting a loss when the ring is full.
 */
static __always_inline void ring_output(void *ring, void *lost_map, void *data, __u64 size)
{
	if (bpf_ringbuf_output(ring, data, size, ring_wakeup_flags(ring)) != 0)
		count_lost(lost_map);
}

/* Submits a record from ring_reserve(). */
#define ring_submit(ring, rec) bpf_ringbuf_submit(rec, ring_wakeup_flags(&ring))

/* Reserves a fixed-size record in the ring, counting a loss when the ring is full. */
#define ring_reserve(ring, type) ({                                     \
	type *__rec = bpf_ringbuf_reserve(&ring, sizeof(type), 0);       \
	if (!__rec)                                                      \
		count_lost(&ring##_lost);                                \
	__rec; })

/* The argument registers of the current syscall, from the task's saved user registers (x86_64). */
#define SYSCALL_ARG1(regs) ((regs)->di)
#define SYSCALL_ARG2(regs) ((regs)->si)
#define SYSCALL_ARG3(regs) ((regs)->dx)
#define SYSCALL_ARG4(regs) ((regs)->r10)
#define SYSCALL_ARG5(regs) ((regs)->r8)
#define SYSCALL_ARG6(regs) ((regs)->r9)

char LICENSE[] SEC("license") = "GPL";

#endif /* OSQUERY_BPF_COMMON_H */
