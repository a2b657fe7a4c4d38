/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel.h: the kernel types and UAPI constants osquery-bpf's probes use, kept by hand.
 *
 * Why not a generated vmlinux.h: it is 130k lines tied to one kernel build. The probes are CO-RE
 * objects, so every kernel struct here is marked preserve_access_index and lists only the fields
 * the probes read, under the kernel's own names. At load time the loader matches each field by
 * name against the running kernel's BTF (anonymous unions and structs in the kernel's definition
 * are searched transparently), so the offsets below never matter and the order is free.
 *
 * Include this first, then libbpf-dev's <bpf/bpf_helpers.h>, <bpf/bpf_core_read.h>,
 * <bpf/bpf_tracing.h> (build-time headers only; the product never links libbpf).
 *
 * Adding a field: copy its name and type from `bpftool btf dump file /sys/kernel/btf/vmlinux
 * format c`, keep pointers as pointers, and read it either by direct dereference from a BTF
 * pointer (bpf_get_current_task_btf(), tp_btf arguments) or with BPF_CORE_READ.
 */
#ifndef OSQUERY_BPF_KERNEL_H
#define OSQUERY_BPF_KERNEL_H

/* The target architecture: Bpf.targets defines __TARGET_ARCH_x86 or __TARGET_ARCH_arm64 (one object each);
 * x86_64 when none is named. pt_regs, the open flags and common.h's syscall registers depend on it. */
#if !defined(__TARGET_ARCH_x86) && !defined(__TARGET_ARCH_arm64)
#define __TARGET_ARCH_x86
#endif
/* Tells bpf_tracing.h to use the kernel's pt_regs field names (di, si, ... or regs[]), as defined below. */
#define __VMLINUX_H__

/* ---- basic types ------------------------------------------------------------------------- */
typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u16 __le16;
typedef __u32 __le32;
typedef __u32 __wsum;
typedef __u16 __sum16;
typedef _Bool bool;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned short umode_t;
typedef unsigned long size_t;
typedef long ssize_t;
typedef long long loff_t;

#define true 1
#define false 0
#ifndef NULL
#define NULL ((void *)0)
#endif

/* ---- BPF UAPI (include/uapi/linux/bpf.h) --------------------------------------------------- */
enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	BPF_MAP_TYPE_RINGBUF = 27,
};

/*
 * Helper ids (enum bpf_func_id). Only the helpers whose presence a probe tests at load time are listed: the
 * loader resolves bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_x) against the running kernel's BTF,
 * so the verifier sees a constant and never looks at the branch that calls a helper the kernel lacks.
 */
enum bpf_func_id {
	BPF_FUNC_get_current_task_btf = 158, /* Linux 5.11 */
	BPF_FUNC_task_pt_regs = 175,         /* Linux 5.15 */
};

/* bpf_map_update_elem flags */
#define BPF_ANY 0
#define BPF_NOEXIST 1
#define BPF_EXIST 2

/* bpf_ringbuf_output / bpf_ringbuf_submit flags */
#define BPF_RB_NO_WAKEUP (1ULL << 0)
#define BPF_RB_FORCE_WAKEUP (1ULL << 1)

/* bpf_ringbuf_query flags */
#define BPF_RB_AVAIL_DATA 0
#define BPF_RB_RING_SIZE 1
#define BPF_RB_CONS_POS 2
#define BPF_RB_PROD_POS 3

/* Socket filter programs see the packet through this (the kernel rewrites field accesses). */
struct __sk_buff {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
	__u32 queue_mapping;
	__u32 protocol;
	__u32 vlan_present;
	__u32 vlan_tci;
	__u32 vlan_proto;
	__u32 priority;
	__u32 ingress_ifindex;
	__u32 ifindex;
	__u32 tc_index;
	__u32 cb[5];
	__u32 hash;
	__u32 tc_classid;
	__u32 data;
	__u32 data_end;
	__u32 napi_id;
	__u32 family;
	__u32 remote_ip4;
	__u32 local_ip4;
	__u32 remote_ip6[4];
	__u32 local_ip6[4];
	__u32 remote_port;
	__u32 local_port;
	__u32 data_meta;
	__u64 flow_keys;
	__u64 tstamp;
	__u32 wire_len;
	__u32 gso_segs;
	__u64 sk;
	__u32 gso_size;
	__u8 tstamp_type;
	__u32 : 24;
	__u64 hwtstamp;
};

/* raw_tracepoint programs get the tracepoint's arguments as an array of u64. */
struct bpf_raw_tracepoint_args {
	__u64 args[0];
};

/* ---- UAPI constants ------------------------------------------------------------------------ */
/* fcntl.h (generic values; four open flags differ on arm64, below) */
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_EMPTY_PATH 0x1000

#define O_ACCMODE 00000003
#define O_RDONLY 00000000
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_EXCL 00000200
#define O_NOCTTY 00000400
#define O_TRUNC 00001000
#define O_APPEND 00002000
#define O_NONBLOCK 00004000
#define O_DSYNC 00010000
#if defined(__TARGET_ARCH_arm64)
#define O_DIRECTORY 00040000
#define O_NOFOLLOW 00100000
#define O_DIRECT 00200000
#define O_LARGEFILE 00400000
#else
#define O_DIRECT 00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW 00400000
#endif
#define O_NOATIME 01000000
#define O_CLOEXEC 02000000
#define __O_SYNC 04000000
#define O_PATH 010000000
#define __O_TMPFILE 020000000

/* socket.h, in.h */
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_PACKET 17
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* if_ether.h */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_HLEN 14

/* limits.h */
#define PATH_MAX 4096
#define NAME_MAX 255
#define TASK_COMM_LEN 16

/* ---- kernel types (CO-RE: fields matched by name at load time) ------------------------------ */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	uid_t val;
} kuid_t;

typedef struct {
	gid_t val;
} kgid_t;

/* Saved user registers of a task; common.h names the ones that hold syscall arguments. */
#if defined(__TARGET_ARCH_arm64)
struct pt_regs {
	__u64 regs[31]; /* x0..x30 (in the kernel: inside an anonymous union with user_regs) */
	__u64 sp;
	__u64 pc;
	__u64 pstate;
	__u64 orig_x0;  /* x0 at syscall entry: the first argument, x0 being overwritten by the return value */
	__s32 syscallno;
};
#else
struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};
#endif

struct qstr {
	__u32 hash;
	__u32 len;
	const unsigned char *name;
};

struct inode {
	umode_t i_mode;
	unsigned long i_ino;
};

struct super_block;

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
};

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
};

/* The kernel's private mount, which embeds the public vfsmount as `mnt`. */
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
	int mnt_id;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_flags;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct fs_struct {
	struct path root;
	struct path pwd;
};

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t euid;
	kgid_t egid;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
	struct file *exe_file;
};

struct signal_struct {
	atomic_t live;
};

/* The cgroup v2 id of a task, where bpf_get_current_cgroup_id() is not allowed: task->cgroups->dfl_cgrp->kn->id.
 * The cgroup probe also reads a cgroup's owner, depth and hierarchy. */
struct kernfs_iattrs {
	kuid_t ia_uid;
};

struct kernfs_node {
	__u64 id;                     /* u64 since 5.5: on 64-bit the inode number */
	struct kernfs_iattrs *iattr;  /* NULL until an attribute (owner, mode, times) is set */
};

struct cgroup_root {
	int hierarchy_id;             /* 0 for the cgroup v2 (default) hierarchy */
};

struct cgroup {
	int level;
	struct kernfs_node *kn;
	struct cgroup_root *root;
};

/* A task's mount namespace: task->nsproxy->mnt_ns->ns.inum, as in /proc/PID/ns/mnt. */
struct ns_common {
	unsigned int inum;
};

struct mnt_namespace {
	struct ns_common ns;
};

struct nsproxy {
	struct mnt_namespace *mnt_ns;
};

struct css_set {
	struct cgroup *dfl_cgrp;
};

struct task_struct {
	void *stack; /* the kernel stack; the saved user registers are at its top */
	unsigned int flags;
	struct mm_struct *mm;
	int exit_code;
	int exit_signal;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	__u64 start_time;
	__u64 start_boottime;
	const struct cred *real_cred;
	const struct cred *cred;
	char comm[TASK_COMM_LEN];
	struct fs_struct *fs;
	struct files_struct *files;
	struct signal_struct *signal;
	struct css_set *cgroups;
	struct nsproxy *nsproxy;
	kuid_t loginuid;
};

struct linux_binprm {
	struct mm_struct *mm;
	struct file *file;
	const char *filename;
	const char *interp;
};

#pragma clang attribute pop

/* PF_* task flags (include/linux/sched.h) */
#define PF_KTHREAD 0x00200000

/*
 * Context of the per-syscall tracepoints (tracepoint/syscalls/sys_enter_NAME and sys_exit_NAME).
 * This is the fixed layout of the trace event records (kernel/trace/trace_syscalls.c; see
 * /sys/kernel/tracing/events/syscalls/sys_enter_openat/format), not a CO-RE type.
 */
struct syscall_enter_ctx {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
	__s32 syscall_nr;
	__u32 pad;
	unsigned long args[6];
};

struct syscall_exit_ctx {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
	__s32 syscall_nr;
	__u32 pad;
	long ret;
};

#endif /* OSQUERY_BPF_KERNEL_H */
