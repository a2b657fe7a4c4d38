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
 *    the probe folder's settings class and README document each one. Every probe has ignore_tgid and ring_wakeup_bytes
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
 * ---- What the running kernel offers, decided at load time ------------------------------------------------
 *
 * Both macros are CO-RE relocations: the loader replaces each with 0 or 1 after looking the helper up in the
 * running kernel's BTF (enum bpf_func_id), so the verifier sees a constant and never visits the branch that
 * calls a helper the kernel does not have. One object serves every kernel:
 *  - Linux 5.11+: bpf_get_current_task_btf() gives the current task as a typed (BTF) pointer whose fields are
 *    plain loads. Before, bpf_get_current_task() gives a bare address whose fields must be read with
 *    bpf_probe_read_kernel (BPF_CORE_READ): slower, so only where the kernel has nothing better.
 *  - Linux 5.15+: bpf_task_pt_regs() gives the saved user registers of the current syscall as a typed pointer.
 *    Before, they are found where the kernel keeps them (task_pt_regs()): at the top of the task's kernel
 *    stack. See current_syscall_regs().
 */
#define HAVE_CURRENT_TASK_BTF bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)
#define HAVE_TASK_PT_REGS bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs)

/* The current task: read its fields with TASK_READ (or BPF_CORE_READ), never by dereferencing it directly. */
static __always_inline struct task_struct *current_task(void)
{
	if (HAVE_CURRENT_TASK_BTF)
		return bpf_get_current_task_btf();
	return (struct task_struct *)bpf_get_current_task();
}

/*
 * A field of a task from current_task() or a tp_btf argument: a plain load where the kernel gives typed task
 * pointers, a probe read where it does not (a tp_btf argument is typed on every kernel, but the same code
 * serves both, and the older kernels are the rare case).
 */
#define TASK_READ(task, ...) (HAVE_CURRENT_TASK_BTF ? (task)->__VA_ARGS__ : BPF_CORE_READ(task, __VA_ARGS__))

/*
 * Fills the header from a task (normally current_task()). Where the task pointer is typed, the field reads are
 * direct, CO-RE-relocated loads (cheaper than bpf_probe_read_kernel calls; the verifier turns faults into
 * zeros). cgroup_id is the current task's (pass the current task), from bpf_get_current_cgroup_id() or, where the
 * program type may not call it (cgroup_helper false), read from the task: the same number (the cgroup's kernfs id).
 */
static __always_inline void fill_task_header(struct event_header *h, __u16 kind, struct task_struct *task,
					     bool cgroup_helper)
{
	h->kind = kind;
	h->flags = 0;
	h->size = sizeof(*h);
	h->boot_ns = bpf_ktime_get_boot_ns();
	if (HAVE_CURRENT_TASK_BTF) {
		const struct cred *cred = task->cred;
		h->tid = task->pid;
		h->pid = task->tgid;
		h->ppid = task->real_parent->tgid;
		h->uid = cred->uid.val;
		h->gid = cred->gid.val;
		h->euid = cred->euid.val;
		h->egid = cred->egid.val;
		h->auid = task->loginuid.val;
	} else {
		const struct cred *cred = BPF_CORE_READ(task, cred);
		h->tid = BPF_CORE_READ(task, pid);
		h->pid = BPF_CORE_READ(task, tgid);
		h->ppid = BPF_CORE_READ(task, real_parent, tgid);
		h->uid = BPF_CORE_READ(cred, uid.val);
		h->gid = BPF_CORE_READ(cred, gid.val);
		h->euid = BPF_CORE_READ(cred, euid.val);
		h->egid = BPF_CORE_READ(cred, egid.val);
		h->auid = BPF_CORE_READ(task, loginuid.val);
	}
	h->cgroup_id = cgroup_helper ? bpf_get_current_cgroup_id() : BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	bpf_probe_read_kernel_str(h->comm, sizeof(h->comm), &task->comm);
}

#define fill_event_header(h, kind, task) fill_task_header(h, kind, task, true)

/*
 * ---- Bounds that every verifier follows ------------------------------------------------------------------
 *
 * Verifiers before Linux 6.x learn a bound only for the register a comparison tests: a copy made before the
 * test, a value spilled to the stack before it, or the same value plus a constant stays unbounded, and a
 * `!= 0` test does not raise a minimum of 0. Newer verifiers link such copies, so code that loads on 6.12 can
 * be refused on 6.1 ("R1 unbounded memory access"). clang also drops a mask it can prove redundant, and with
 * it the bound an older verifier needed. OPAQUE() hides a value's known range from clang, so what follows it
 * is emitted as written, on the register that is then used.
 */
#define OPAQUE(x) ({ typeof(x) __opaque = (x); asm volatile("" : "+r"(__opaque)); __opaque; })

/* x & mask (mask + 1 a power of two), computed where it is used: an index every verifier knows is below mask + 1. */
#define BOUNDED_INDEX(x, mask) (OPAQUE(x) & (mask))

/*
 * x when 1 <= x <= max_pow2 (a power of two); another value in [1, max_pow2] otherwise. For helper sizes that
 * must not be 0 (ARG_CONST_SIZE): the bound comes from arithmetic on one register, which every verifier follows.
 */
#define NONZERO_SIZE(x, max_pow2) (((OPAQUE(x) - 1) & ((max_pow2) - 1)) + 1)

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
 * Copies a record built in scratch memory into the ring (for variable-size records), counting a loss when the
 * ring is full. size is checked against max (the scratch record's size) here, on the register the helper gets,
 * which is the bound older verifiers need.
 */
static __always_inline void ring_output(void *ring, void *lost_map, void *data, __u64 size, __u64 max)
{
	size = OPAQUE(size);
	if (size > max)
		return;
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

/*
 * ---- Syscall arguments at the syscall's exit -------------------------------------------------------------
 *
 * The arguments are read from the task's saved user registers, which none of the traced syscalls changes.
 * The registers that hold them are named here, once per target architecture (Bpf.targets compiles one object
 * per architecture and defines __TARGET_ARCH_x86 or __TARGET_ARCH_arm64); everything else goes through
 * SYSCALL_ARGn(regs) and SYSCALL_REG_NR, and the field names are CO-RE-relocated like any other.
 *  - x86_64: di, si, dx, r10, r8, r9; orig_ax holds the syscall number.
 *  - arm64: x0..x5 (regs[0..5]), but x0 holds the return value at exit, so the first argument is read from
 *    orig_x0, where the kernel keeps it; syscallno holds the syscall number (-1 outside a syscall).
 */
#if defined(__TARGET_ARCH_arm64)
#define SYSCALL_REG_ARG1 orig_x0
#define SYSCALL_REG_ARG2 regs[1]
#define SYSCALL_REG_ARG3 regs[2]
#define SYSCALL_REG_ARG4 regs[3]
#define SYSCALL_REG_ARG5 regs[4]
#define SYSCALL_REG_ARG6 regs[5]
#define SYSCALL_REG_NR syscallno
#elif defined(__TARGET_ARCH_x86)
#define SYSCALL_REG_ARG1 di
#define SYSCALL_REG_ARG2 si
#define SYSCALL_REG_ARG3 dx
#define SYSCALL_REG_ARG4 r10
#define SYSCALL_REG_ARG5 r8
#define SYSCALL_REG_ARG6 r9
#define SYSCALL_REG_NR orig_ax
#else
#error "name the target architecture: -D__TARGET_ARCH_x86 or -D__TARGET_ARCH_arm64"
#endif

/* Kernel stack sizes to look for the saved registers in, before bpf_task_pt_regs(): the usual THREAD_SIZE of x86_64
 * and arm64 (4 KiB pages), and with KASAN. Both keep the registers at the very top (task_pt_regs()). */
#define THREAD_SIZE_USUAL (16 << 10)
#define THREAD_SIZE_KASAN (32 << 10)

/* A register of the regs current_syscall_regs() returned. */
#define REGS_READ(regs, reg) (HAVE_TASK_PT_REGS ? (regs)->reg : BPF_CORE_READ(regs, reg))

#define SYSCALL_ARG1(regs) REGS_READ(regs, SYSCALL_REG_ARG1)
#define SYSCALL_ARG2(regs) REGS_READ(regs, SYSCALL_REG_ARG2)
#define SYSCALL_ARG3(regs) REGS_READ(regs, SYSCALL_REG_ARG3)
#define SYSCALL_ARG4(regs) REGS_READ(regs, SYSCALL_REG_ARG4)
#define SYSCALL_ARG5(regs) REGS_READ(regs, SYSCALL_REG_ARG5)
#define SYSCALL_ARG6(regs) REGS_READ(regs, SYSCALL_REG_ARG6)

/* The registers at the top of a kernel stack of thread_size bytes (the kernel's task_pt_regs()). */
static __always_inline struct pt_regs *regs_at_stack_top(void *stack, __u32 thread_size)
{
	return (struct pt_regs *)((char *)stack + thread_size - bpf_core_type_size(struct pt_regs));
}

/*
 * The saved user registers of task, which is inside syscall nr (or, with nr < 0, of an unknown syscall). Before
 * bpf_task_pt_regs() the registers are found at the top of the kernel stack, whose size is not in BTF; the
 * syscall number saved there tells whether the guess was right. NULL when it was not: the arguments then read
 * as 0, the record is flagged, and nothing else is made up.
 */
static __always_inline struct pt_regs *current_syscall_regs(struct task_struct *task, long nr)
{
	if (HAVE_TASK_PT_REGS)
		return (struct pt_regs *)bpf_task_pt_regs(task);
	void *stack = BPF_CORE_READ(task, stack);
	struct pt_regs *regs = regs_at_stack_top(stack, THREAD_SIZE_USUAL);
	if (nr < 0 || (long)BPF_CORE_READ(regs, SYSCALL_REG_NR) == nr)
		return regs;
	regs = regs_at_stack_top(stack, THREAD_SIZE_KASAN);
	if ((long)BPF_CORE_READ(regs, SYSCALL_REG_NR) == nr)
		return regs;
	return NULL;
}

char LICENSE[] SEC("license") = "GPL";

#endif /* OSQUERY_BPF_COMMON_H */
