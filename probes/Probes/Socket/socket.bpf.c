// SPDX-License-Identifier: GPL-2.0
/*
 * socket.bpf.c: socket operations (ebpf_socket_events): connect, accept/accept4, bind, listen and
 * close of AF_INET and AF_INET6 sockets, TCP and UDP (and any other inet protocol: raw, SCTP).
 *
 * Hooks: the per-syscall tracepoints tracepoint/syscalls/sys_enter_NAME and sys_exit_NAME. The
 * alternative, raw_tracepoint/sys_enter + sys_exit, would run on every syscall of every process
 * (a few hundred nanoseconds each, on millions of unrelated syscalls per second); the per-syscall
 * tracepoints cost nothing to syscalls we do not watch. The enter program only notes the start
 * time (and, for close, the socket's ends, which are gone by the exit) in `socket_calls`, keyed by
 * thread; the exit program builds the record, so each record has the syscall's result and
 * duration.
 *
 * Addresses:
 *  - connect: remote = the sockaddr the process passed (what it asked for, also when it failed);
 *    local = the kernel socket after the call (the ephemeral port and source address chosen).
 *  - accept/accept4: both ends from the new socket (the peer is the remote end).
 *  - bind: local from the socket after a successful bind (port 0 shows the port chosen); from the
 *    sockaddr when bind failed.
 *  - listen, close: from the socket (close reads it at enter, before the fd goes away).
 * IPv4 addresses use the first 4 bytes of the 16-byte address fields. An AF_INET6 socket talking
 * to an IPv4 peer carries the IPv4-mapped address (::ffff:a.b.c.d) as the kernel has it.
 *
 * Filters: the extension's own process (ignore_tgid), sockets that are not AF_INET/AF_INET6 (unix
 * sockets dominate connect and close otherwise), accept calls that failed with EAGAIN (event loops
 * poll non-blocking listeners; record_accept_again to keep them), and close of non-sockets (the
 * fd's inode mode is checked first, so most closes cost one fd lookup).
 *
 * Not seen: 32-bit compat syscalls, io_uring connect/accept/close, sockets closed implicitly at
 * process exit, and connect/accept done inside the kernel (NFS, SMB).
 */
#include "kernel.h"
#include "common.h"
#include "path.h"
#include "exe_cache.h"
#include "net.h"

/* struct socket_record.action */
enum socket_action {
	SOCKET_CONNECT = 1,
	SOCKET_ACCEPT = 2,
	SOCKET_BIND = 3,
	SOCKET_LISTEN = 4,
	SOCKET_CLOSE = 5,
};

/* struct socket_record.syscall */
enum socket_syscall {
	SS_CONNECT = 1,
	SS_ACCEPT = 2,
	SS_ACCEPT4 = 3,
	SS_BIND = 4,
	SS_LISTEN = 5,
	SS_CLOSE = 6,
};

#define EVENT_SOCKET EVENT_SOCKET_FIRST

/* Bytes of variable data (the executable's path) a record may carry before it is cut. */
#define SOCKET_DATA_LIMIT 4096

struct socket_record {
	struct event_header h;
	__s64 ret;              /* the syscall's return value (negative errno; accept: the new fd) */
	__u64 duration_ns;      /* sys_enter to sys_exit */
	__s32 fd;               /* the socket's fd (accept: the new fd when it succeeded, else the listener) */
	__u16 family;           /* AF_INET or AF_INET6 */
	__u16 type;             /* sk_type: SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 protocol;         /* sk_protocol: IPPROTO_TCP, IPPROTO_UDP, ... */
	__u16 local_port;       /* host byte order */
	__u16 remote_port;
	__u8 action;            /* enum socket_action */
	__u8 syscall;           /* enum socket_syscall */
	__u8 local_addr[16];    /* network byte order; IPv4 in the first 4 bytes */
	__u8 remote_addr[16];
	__u16 exe_len;          /* data[0, exe_len): the acting process's executable */
	__u16 reserved1;
	__u32 reserved2;
	__u8 data[SOCKET_DATA_LIMIT + PATH_MAX];
};

#define SOCKET_RECORD_FIXED_SIZE 144
_Static_assert(__builtin_offsetof(struct socket_record, data) == SOCKET_RECORD_FIXED_SIZE, "mirrored in C#");

/* ---- configuration (.rodata, set by the loader; see ProbeSettings) ---- */
/* Add the acting process's executable (a dentry walk of mm->exe_file) to every record. */
const volatile bool record_executable = true;
/* Record accept/accept4 calls that failed with EAGAIN (non-blocking listeners with nothing pending). */
const volatile bool record_accept_again = false;

DEFINE_RING(socket_events, 4 << 20);

/* What the enter program leaves for the exit program of the same thread. */
struct pending_call {
	__u64 start_ns;
	struct net_endpoint local;   /* close only: the socket's ends at enter */
	struct net_endpoint remote;
	__u16 family;
	__u16 type;
	__u16 protocol;
	__u16 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pending_call);
} socket_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct socket_record);
} socket_scratch SEC(".maps");

/* The syscall's saved registers; NULL, counted as a lost record, when they cannot be found (current_syscall_regs). */
static __always_inline struct pt_regs *syscall_regs(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs = current_syscall_regs(current_task(), ctx->syscall_nr);
	if (!regs)
		count_lost(&socket_events_lost);
	return regs;
}

/* Enter of connect, accept, accept4, bind, listen: note the start time. */
static __always_inline int note_start(void)
{
	if (ignore_current())
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct pending_call call = {};
	call.start_ns = bpf_ktime_get_boot_ns();
	bpf_map_update_elem(&socket_calls, &id, &call, BPF_ANY);
	return 0;
}

/* Takes the enter program's note for this thread (copied out, then deleted); false when there is none. */
static __always_inline bool take_pending(struct pending_call *out)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending_call *call = bpf_map_lookup_elem(&socket_calls, &id);
	if (!call)
		return false;
	*out = *call;
	bpf_map_delete_elem(&socket_calls, &id);
	return true;
}

/* The sock behind fd in the current task, or NULL when fd is not a socket. */
static __always_inline struct sock *fd_sock(int fd)
{
	if (fd < 0)
		return NULL;
	return file_sock(task_fd_file(current_task(), fd));
}

static __always_inline bool is_inet(__u16 family)
{
	return family == AF_INET || family == AF_INET6;
}

/* Fills the socket facts of rec from sk: family, type, protocol and both ends. */
static __always_inline __u16 fill_from_sock(struct socket_record *rec, struct sock *sk, bool local, bool remote)
{
	struct net_endpoint l = {}, r = {};
	__u16 family = read_sock_ends(sk, &l, &r);
	rec->family = family;
	rec->type = BPF_CORE_READ(sk, sk_type);
	rec->protocol = BPF_CORE_READ(sk, sk_protocol);
	if (local) {
		__builtin_memcpy(rec->local_addr, l.addr, 16);
		rec->local_port = l.port;
	}
	if (remote) {
		__builtin_memcpy(rec->remote_addr, r.addr, 16);
		rec->remote_port = r.port;
	}
	return family;
}

/* A zeroed record in per-CPU scratch with the header and the call's result filled in. */
static __always_inline struct socket_record *begin_record(struct syscall_exit_ctx *ctx, struct pending_call *call,
							   __u8 action, __u8 syscall)
{
	__u32 zero = 0;
	struct socket_record *rec = bpf_map_lookup_elem(&socket_scratch, &zero);
	if (!rec)
		return NULL;
	fill_event_header(&rec->h, EVENT_SOCKET, current_task());
	rec->ret = ctx->ret;
	rec->duration_ns = rec->h.boot_ns - call->start_ns;
	rec->fd = -1;
	rec->family = 0;
	rec->type = 0;
	rec->protocol = 0;
	rec->local_port = 0;
	rec->remote_port = 0;
	rec->action = action;
	rec->syscall = syscall;
	__builtin_memset(rec->local_addr, 0, 16);
	__builtin_memset(rec->remote_addr, 0, 16);
	rec->exe_len = 0;
	rec->reserved1 = 0;
	rec->reserved2 = 0;
	return rec;
}

/* Appends the executable when configured and writes the record to the ring. */
static __always_inline int submit(struct socket_record *rec)
{
	__u32 data_len = 0;
	if (record_executable) {
		struct record_cursor *cursor = begin_record_data();
		if (cursor)
			data_len = append_executable(cursor, rec->data, SOCKET_DATA_LIMIT, current_task(),
						     &rec->h.flags);
		rec->exe_len = data_len;
	}
	__u64 size = SOCKET_RECORD_FIXED_SIZE + (__u64)data_len;
	if (size > sizeof(*rec))
		return 0;
	rec->h.size = size;
	ring_output(&socket_events, &socket_events_lost, rec, size, sizeof(*rec));
	return 0;
}

/* ---- connect ---- */

SEC("tracepoint/syscalls/sys_enter_connect")
int sys_enter_connect(struct syscall_enter_ctx *ctx)
{
	return note_start();
}

SEC("tracepoint/syscalls/sys_exit_connect")
int sys_exit_connect(struct syscall_exit_ctx *ctx)
{
	struct pending_call call;
	if (!take_pending(&call))
		return 0;
	struct pt_regs *regs = syscall_regs(ctx);
	if (!regs)
		return 0;
	int fd = (int)SYSCALL_ARG1(regs);
	struct sock *sk = fd_sock(fd);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!is_inet(family))
		return 0;
	struct socket_record *rec = begin_record(ctx, &call, SOCKET_CONNECT, SS_CONNECT);
	if (!rec)
		return 0;
	rec->fd = fd;
	fill_from_sock(rec, sk, true, true);
	/* The address asked for is the remote end, also when connect failed and the socket has none. */
	struct net_endpoint asked = {};
	__u16 asked_family = read_user_sockaddr((const void *)SYSCALL_ARG2(regs), (__u32)SYSCALL_ARG3(regs), &asked);
	if (asked_family == AF_INET || asked_family == AF_INET6) {
		if (asked_family == AF_INET && family == AF_INET6) {
			/* An IPv4 sockaddr on an IPv6 socket (the kernel maps it): show it mapped, like the socket. */
			__builtin_memset(rec->remote_addr, 0, 10);
			rec->remote_addr[10] = 0xff;
			rec->remote_addr[11] = 0xff;
			__builtin_memcpy(rec->remote_addr + 12, asked.addr, 4);
		} else {
			__builtin_memcpy(rec->remote_addr, asked.addr, 16);
		}
		rec->remote_port = asked.port;
	}
	return submit(rec);
}

/* ---- accept, accept4 ---- */

static __always_inline int handle_accept_exit(struct syscall_exit_ctx *ctx, __u8 syscall)
{
	struct pending_call call;
	if (!take_pending(&call))
		return 0;
	long ret = ctx->ret;
	if (ret == -EAGAIN && !record_accept_again)
		return 0;
	int fd = (int)ret;
	if (ret < 0) {
		struct pt_regs *regs = syscall_regs(ctx);
		if (!regs)
			return 0;
		fd = (int)SYSCALL_ARG1(regs);
	}
	struct sock *sk = fd_sock(fd);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!is_inet(family))
		return 0;
	struct socket_record *rec = begin_record(ctx, &call, SOCKET_ACCEPT, syscall);
	if (!rec)
		return 0;
	rec->fd = fd;
	/* A failed accept has no peer: report the listener's local end only. */
	fill_from_sock(rec, sk, true, ret >= 0);
	return submit(rec);
}

SEC("tracepoint/syscalls/sys_enter_accept")
int sys_enter_accept(struct syscall_enter_ctx *ctx)
{
	return note_start();
}

SEC("tracepoint/syscalls/sys_exit_accept")
int sys_exit_accept(struct syscall_exit_ctx *ctx)
{
	return handle_accept_exit(ctx, SS_ACCEPT);
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int sys_enter_accept4(struct syscall_enter_ctx *ctx)
{
	return note_start();
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int sys_exit_accept4(struct syscall_exit_ctx *ctx)
{
	return handle_accept_exit(ctx, SS_ACCEPT4);
}

/* ---- bind ---- */

SEC("tracepoint/syscalls/sys_enter_bind")
int sys_enter_bind(struct syscall_enter_ctx *ctx)
{
	return note_start();
}

SEC("tracepoint/syscalls/sys_exit_bind")
int sys_exit_bind(struct syscall_exit_ctx *ctx)
{
	struct pending_call call;
	if (!take_pending(&call))
		return 0;
	struct pt_regs *regs = syscall_regs(ctx);
	if (!regs)
		return 0;
	int fd = (int)SYSCALL_ARG1(regs);
	struct sock *sk = fd_sock(fd);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!is_inet(family))
		return 0;
	struct socket_record *rec = begin_record(ctx, &call, SOCKET_BIND, SS_BIND);
	if (!rec)
		return 0;
	rec->fd = fd;
	fill_from_sock(rec, sk, ctx->ret == 0, false);
	if (ctx->ret != 0) {
		/* The socket did not take the address: report the one asked for. */
		struct net_endpoint asked = {};
		__u16 asked_family =
			read_user_sockaddr((const void *)SYSCALL_ARG2(regs), (__u32)SYSCALL_ARG3(regs), &asked);
		if (asked_family == AF_INET || asked_family == AF_INET6) {
			__builtin_memcpy(rec->local_addr, asked.addr, 16);
			rec->local_port = asked.port;
		}
	}
	return submit(rec);
}

/* ---- listen ---- */

SEC("tracepoint/syscalls/sys_enter_listen")
int sys_enter_listen(struct syscall_enter_ctx *ctx)
{
	return note_start();
}

SEC("tracepoint/syscalls/sys_exit_listen")
int sys_exit_listen(struct syscall_exit_ctx *ctx)
{
	struct pending_call call;
	if (!take_pending(&call))
		return 0;
	struct pt_regs *regs = syscall_regs(ctx);
	if (!regs)
		return 0;
	int fd = (int)SYSCALL_ARG1(regs);
	struct sock *sk = fd_sock(fd);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!is_inet(family))
		return 0;
	struct socket_record *rec = begin_record(ctx, &call, SOCKET_LISTEN, SS_LISTEN);
	if (!rec)
		return 0;
	rec->fd = fd;
	fill_from_sock(rec, sk, true, false);
	return submit(rec);
}

/* ---- close ---- */

SEC("tracepoint/syscalls/sys_enter_close")
int sys_enter_close(struct syscall_enter_ctx *ctx)
{
	if (ignore_current())
		return 0;
	struct sock *sk = fd_sock((int)ctx->args[0]);
	if (!sk)
		return 0;
	struct pending_call call = {};
	call.family = read_sock_ends(sk, &call.local, &call.remote);
	if (!is_inet(call.family))
		return 0;
	call.type = BPF_CORE_READ(sk, sk_type);
	call.protocol = BPF_CORE_READ(sk, sk_protocol);
	call.start_ns = bpf_ktime_get_boot_ns();
	__u64 id = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&socket_calls, &id, &call, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_close")
int sys_exit_close(struct syscall_exit_ctx *ctx)
{
	struct pending_call call;
	if (!take_pending(&call))
		return 0;
	struct socket_record *rec = begin_record(ctx, &call, SOCKET_CLOSE, SS_CLOSE);
	if (!rec)
		return 0;
	/* The socket's ends were read at enter; without the registers only the fd number is unknown. */
	struct pt_regs *regs = current_syscall_regs(current_task(), ctx->syscall_nr);
	if (regs)
		rec->fd = (int)SYSCALL_ARG1(regs);
	else
		rec->h.flags |= EVENT_FLAG_PROBE_ERROR;
	rec->family = call.family;
	rec->type = call.type;
	rec->protocol = call.protocol;
	__builtin_memcpy(rec->local_addr, call.local.addr, 16);
	rec->local_port = call.local.port;
	__builtin_memcpy(rec->remote_addr, call.remote.addr, 16);
	rec->remote_port = call.remote.port;
	return submit(rec);
}
