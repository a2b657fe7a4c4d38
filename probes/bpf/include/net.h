/* SPDX-License-Identifier: GPL-2.0 */
/*
 * net.h: kernel socket types and network constants for socket.bpf.c and dns.bpf.c.
 *
 * Same rules as kernel.h: CO-RE types under the kernel's names with only the fields we read; the
 * loader matches fields by name against the running kernel's BTF, so offsets here do not matter.
 * Include after kernel.h and common.h.
 *
 * struct file in kernel.h has no private_data; rather than edit that shared header, file___net is
 * a CO-RE "flavor" of struct file (the loader drops the ___suffix when it matches names), so a
 * (struct file___net *) cast reads file->private_data from the same object.
 */
#ifndef OSQUERY_BPF_NET_H
#define OSQUERY_BPF_NET_H

/* ---- UAPI constants ----------------------------------------------------------------------- */
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

#define SOCK_STREAM 1
#define SOCK_DGRAM 2

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

/* __sk_buff.pkt_type (include/uapi/linux/if_packet.h) */
#define PACKET_HOST 0
#define PACKET_OUTGOING 4

/* The loopback device's ifindex in every network namespace (include/net/flow.h LOOPBACK_IFINDEX). */
#define LOOPBACK_IFINDEX 1

/* bpf_skb_load_bytes_relative() start (enum bpf_hdr_start_off) */
#define BPF_HDR_START_MAC 0
#define BPF_HDR_START_NET 1

#define S_IFMT 00170000
#define S_IFSOCK 0140000

#define EAGAIN 11
#define EINPROGRESS 115

/* ---- kernel types (CO-RE) ------------------------------------------------------------------ */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be16 u6_addr16[8];
		__be32 u6_addr32[4];
	} in6_u;
};

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
	__u16 sk_type;
};

struct socket {
	short type;
	struct file *file;
	struct sock *sk;
};

/* struct file, for its private_data only (see the header comment). */
struct file___net {
	void *private_data;
};

#pragma clang attribute pop

/* ---- helpers -------------------------------------------------------------------------------- */

/* Network byte order for 16-bit constants and values (the BPF target here is little-endian). */
#define net16(x) ((__u16)((((x) & 0xff) << 8) | (((x) >> 8) & 0xff)))

/* The sock behind a file when the file is a socket, else NULL. */
static __always_inline struct sock *file_sock(struct file *file)
{
	if (!file)
		return NULL;
	umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *sock = BPF_CORE_READ((struct file___net *)file, private_data);
	if (!sock)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

/* One end of a connection: address (IPv4 in the first 4 bytes) and port in host byte order. */
struct net_endpoint {
	__u8 addr[16];
	__u16 port;
};

/* Reads the local and remote ends of sk as the kernel has them now; returns the family. */
static __always_inline __u16 read_sock_ends(struct sock *sk, struct net_endpoint *local, struct net_endpoint *remote)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_INET) {
		__be32 saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(local->addr, &saddr, 4);
		__builtin_memcpy(remote->addr, &daddr, 4);
	} else if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&local->addr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&remote->addr, sk, __sk_common.skc_v6_daddr);
	}
	local->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	__be16 dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	remote->port = net16(dport);
	return family;
}

/* The sockaddr_in / sockaddr_in6 prefix we read from user memory (28 bytes covers both). */
struct user_sockaddr {
	__u16 family;
	__be16 port;
	union {
		__be32 v4;           /* sockaddr_in.sin_addr */
		struct {
			__u32 flowinfo;  /* sockaddr_in6.sin6_flowinfo */
			__u8 v6[16];     /* sockaddr_in6.sin6_addr */
		};
	};
	__u32 scope_id;
};

/* Reads an AF_INET/AF_INET6 sockaddr from user memory into *end; returns its family, or 0. */
static __always_inline __u16 read_user_sockaddr(const void *uaddr, __u32 addrlen, struct net_endpoint *end)
{
	struct user_sockaddr sa = {};
	if (!uaddr || addrlen < 2)
		return 0;
	if (addrlen > sizeof(sa))
		addrlen = sizeof(sa);
	if (bpf_probe_read_user(&sa, addrlen, uaddr) != 0)
		return 0;
	if (sa.family == AF_INET && addrlen >= 8) {
		__builtin_memcpy(end->addr, &sa.v4, 4);
		end->port = net16(sa.port);
		return AF_INET;
	}
	if (sa.family == AF_INET6 && addrlen >= 24) {
		__builtin_memcpy(end->addr, sa.v6, 16);
		end->port = net16(sa.port);
		return AF_INET6;
	}
	return sa.family;
}

#endif /* OSQUERY_BPF_NET_H */
