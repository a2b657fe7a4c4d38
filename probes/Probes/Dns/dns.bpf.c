// SPDX-License-Identifier: GPL-2.0
/*
 * dns.bpf.c: every DNS message on the host (ebpf_dns_events), queries and responses, UDP and TCP
 * port 53, with the process at each end.
 *
 * Capture point: a socket filter (SEC("socket")) on one AF_PACKET socket for all interfaces of the
 * host's network namespace (SocketFilterLink). It sees every packet the host sends or receives,
 * loopback included, so traffic to a local stub resolver (systemd-resolved on 127.0.0.53, dnsmasq
 * on 127.0.0.1) and that resolver's upstream traffic are both captured, whatever API or syscall
 * made them (send, sendto, sendmsg, sendmmsg, write, io_uring, glibc, Go's own resolver, dig).
 * Syscall payload capture was the other candidate: exact attribution, but eight syscalls to hook,
 * read()/write() on every fd of the system to filter, and io_uring missed. The filter returns 0,
 * so no packet is ever queued on the AF_PACKET socket; everything goes to the `dns_events` ring.
 *
 * Loopback: every packet on lo passes the tap twice, once leaving (PACKET_OUTGOING) and once
 * arriving (PACKET_HOST). Only the leaving copy is kept: it is the one seen in the sender's
 * context (see attribution). Other interfaces show each packet once, leaving or arriving.
 *
 * Attribution: the record's header is the client process (the end that is not port 53): the
 * process that sent a query and the one that receives its response, which is what the
 * ebpf_dns_events table reports. server_* names the process at the port 53 end when it is local
 * (dnsmasq answering, systemd-resolved). Both come from the `dns_ports` map, (address, port,
 * protocol) -> process, filled:
 *  - by this filter itself, for a UDP packet leaving the host: a UDP send transmits the packet
 *    synchronously inside the sender's syscall, so the current task is the sender (source
 *    DNS_SOURCE_TASK) when it is a user task inside a send-family syscall (is_sending_task; this
 *    excludes forwarded traffic, which leaves from softirq on an interrupted task). This also covers
 *    sockets that were bound implicitly by the send itself, which no syscall exit could have seen
 *    before the packet left;
 *  - at sys_exit of connect (client sockets, UDP and TCP, including EINPROGRESS), bind and
 *    accept/accept4 (servers) when port 53 is involved: exact, from the process's own syscall.
 * A leaving TCP segment can be sent from softirq context on behalf of another task, so for TCP the
 * map is asked first and the current task is used only when it is a user task and the map has no
 * entry. A packet arriving from outside, or whose owner is not known, is looked up in the map only
 * (source DNS_SOURCE_PORT_MAP), and an unknown end is reported with pid 0 (DNS_SOURCE_NONE).
 * Ports are reused: entries are refreshed by every packet a user task sends, and the map is an LRU.
 *
 * Payload: up to payload_limit bytes (default 512, at most DNS_PAYLOAD_MAX) of the UDP payload or
 * the TCP segment's payload, with the real length, so truncation is known. TCP DNS carries a 2-byte
 * length prefix per message and a message may span segments (or a segment hold several): the
 * record keeps the TCP sequence number so user space can reassemble each direction of a connection.
 * Segments without payload (SYN, ACK, FIN) are skipped.
 *
 * Not seen: IPv6 packets with extension headers before TCP/UDP, non-first IP fragments (large
 * EDNS responses fragmented at the IP layer are captured up to the first fragment's end), other
 * network namespaces (containers with their own netns need a socket there), DNS over TLS/HTTPS, and
 * ports other than 53. Forwarded traffic (a bridge and its veths) can be seen once per interface.
 */
#include "kernel.h"
#include "common.h"
#include "path.h"
#include "net.h"

#define EVENT_DNS_PACKET EVENT_DNS_FIRST

#define DNS_PORT 53
#define DNS_PAYLOAD_MAX 4096

/* struct dns_record.direction */
enum dns_direction {
	DNS_EGRESS = 1,   /* leaving the host on a real interface */
	DNS_INGRESS = 2,  /* arriving at the host */
	DNS_LOOPBACK = 3, /* on lo: both ends are on this host */
};

/* struct dns_record.client_source and server_source: how the process at that end was found. */
enum dns_source {
	DNS_SOURCE_NONE = 0,     /* unknown (pid 0): remote, or a local socket never seen sending */
	DNS_SOURCE_PORT_MAP = 1, /* from dns_ports (a connect/bind/accept exit, or an earlier packet) */
	DNS_SOURCE_TASK = 2,     /* the task that was sending this very packet */
};

struct dns_record {
	struct event_header h;  /* the client (not port 53) end's process; pid 0 when unknown */
	__u32 server_pid;       /* the port 53 end's process when local, else 0 */
	__u32 server_tid;
	char server_comm[TASK_COMM_LEN];
	__u8 src_addr[16];      /* network byte order; IPv4 in the first 4 bytes */
	__u8 dst_addr[16];
	__u16 src_port;         /* host byte order */
	__u16 dst_port;
	__u8 family;            /* AF_INET or AF_INET6 */
	__u8 protocol;          /* IPPROTO_UDP or IPPROTO_TCP */
	__u8 direction;         /* enum dns_direction */
	__u8 client_source;     /* enum dns_source */
	__u8 server_source;
	__u8 tcp_flags;         /* TCP: the segment's flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10) */
	__u16 reserved1;
	__u32 ifindex;
	__u32 tcp_seq;          /* TCP: the segment's sequence number (host byte order) */
	__u32 payload_len;      /* bytes of DNS payload in the packet (UDP payload, TCP segment payload) */
	__u32 captured_len;     /* bytes of it in payload[] */
	__u32 reserved2;
	__u8 payload[DNS_PAYLOAD_MAX];
};

#define DNS_RECORD_FIXED_SIZE 160
_Static_assert(__builtin_offsetof(struct dns_record, payload) == DNS_RECORD_FIXED_SIZE, "mirrored in C#");

/* ---- configuration (.rodata, set by the loader; see ProbeSettings) ---- */
/* Bytes of each DNS payload copied into the record (1..4096). */
const volatile __u32 payload_limit = 512;
/*
 * What this kernel lets a socket filter call, set by the loader after asking the verifier (NetworkProbes.Dns): Linux
 * 6.1 lets a socket filter have the current task but not bpf_get_current_cgroup_id(), 5.10 neither. Without the
 * task, a packet's processes are found through dns_ports only; without the helper, the cgroup id is read from the
 * task.
 */
const volatile bool filter_sees_task = true;
const volatile bool filter_has_cgroup_id = true;

DEFINE_RING(dns_events, 4 << 20);

/* One end of a DNS conversation on this host. A zero address matches a socket bound to any address. */
struct dns_port_key {
	__u8 addr[16];
	__u16 port;
	__u8 protocol;
	__u8 family;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct dns_port_key);
	__type(value, struct event_header);
} dns_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_record);
} dns_scratch SEC(".maps");

/* The IPv4 header fields we use (RFC 791). */
struct ipv4_head {
	__u8 version_ihl;
	__u8 tos;
	__be16 total_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__be16 check;
	__be32 saddr;
	__be32 daddr;
};

/* The IPv6 fixed header (RFC 8200). */
struct ipv6_head {
	__be32 version_class_flow;
	__be16 payload_len;
	__u8 next_header;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct tcp_head {
	__be16 sport;
	__be16 dport;
	__be32 seq;
	__be32 ack;
	__u8 data_off;  /* high nibble: header length in 32-bit words */
	__u8 flags;
};

struct udp_head {
	__be16 sport;
	__be16 dport;
	__be16 len;
	__be16 check;
};

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

static __always_inline __u32 net32(__u32 x)
{
	return __builtin_bswap32(x);
}

/*
 * The network header's offset from skb->data. bpf_skb_load_bytes_relative() reads only the linear part
 * of a packet, but TCP payload (and received payload on many NICs) sits in page fragments, which only
 * bpf_skb_load_bytes() reaches, relative to skb->data: the link-layer header on an AF_PACKET SOCK_RAW
 * socket. Its length is not in __sk_buff, so the candidates (Ethernet and lo: 14; no link header, as on
 * tun and WireGuard: 0; an 802.1Q tag left in the frame: 18) are tried by comparing the addresses
 * with the ones read relative to the network header. Returns -1 when none matches.
 */
static __always_inline int network_offset(struct __sk_buff *skb, const __u8 *probe, __u32 probe_at)
{
	const int candidates[3] = {14, 0, 18};
	for (int i = 0; i < 3; i++) {
		__u8 seen[8];
		if (bpf_skb_load_bytes(skb, candidates[i] + probe_at, seen, sizeof(seen)) != 0)
			continue;
		bool same = true;
		for (int b = 0; b < sizeof(seen); b++)
			same &= seen[b] == probe[b];
		if (same)
			return candidates[i];
	}
	return -1;
}

/* Numbers of the syscalls that can transmit a DNS packet in the caller's context: arm64 uses the generic
 * table (asm-generic/unistd.h), x86_64 its own. */
#if defined(__TARGET_ARCH_arm64)
#define NR_write 64
#define NR_writev 66
#define NR_sendfile 71
#define NR_sendto 206
#define NR_sendmsg 211
#define NR_sendmmsg 269
#define NR_io_uring_enter 426
#else
#define NR_write 1
#define NR_writev 20
#define NR_sendfile 40
#define NR_sendto 44
#define NR_sendmsg 46
#define NR_sendmmsg 307
#define NR_io_uring_enter 426
#endif

/*
 * True when task is a user task that is inside a syscall able to send this packet. A packet that leaves
 * the host from softirq context (forwarded or NATed container traffic, TCP segments released by an ACK)
 * runs the filter on whatever task was interrupted: that task is then idle (tgid 0), a kernel thread, in
 * user mode (the saved syscall number is then none: x86_64 the negated interrupt vector, arm64 -1), or,
 * rarely, in an unrelated syscall. Checking the syscall number rules out all but the last case.
 */
static __always_inline bool is_sending_task(struct task_struct *task)
{
	if (TASK_READ(task, tgid) == 0 || (TASK_READ(task, flags) & PF_KTHREAD))
		return false;
	struct pt_regs *regs = current_syscall_regs(task, -1);
	long nr = (long)REGS_READ(regs, SYSCALL_REG_NR);
	return nr == NR_sendto || nr == NR_sendmsg || nr == NR_sendmmsg || nr == NR_write || nr == NR_writev ||
	       nr == NR_io_uring_enter || nr == NR_sendfile;
}

static __always_inline void make_key(struct dns_port_key *key, const __u8 *addr, __u16 port, __u8 protocol,
				     __u8 family)
{
	__builtin_memcpy(key->addr, addr, 16);
	key->port = port;
	key->protocol = protocol;
	key->family = family;
}

/* The owner of a local end: the exact address first, then a socket bound to any address. */
static __always_inline struct event_header *lookup_owner(struct dns_port_key *key)
{
	struct event_header *owner = bpf_map_lookup_elem(&dns_ports, key);
	if (owner)
		return owner;
	__builtin_memset(key->addr, 0, 16);
	return bpf_map_lookup_elem(&dns_ports, key);
}

/*
 * Finds the process at one end of the packet. sending: that end sent this packet (it is leaving
 * the host). On success, *out holds the process; returns the enum dns_source.
 */
static __always_inline __u8 find_end_process(struct dns_port_key *key, bool sending, __u8 protocol,
					     struct event_header *out)
{
	struct task_struct *task = NULL;
	bool task_usable = false;
	if (filter_sees_task && sending) {
		task = current_task();
		task_usable = is_sending_task(task);
	}

	if (task_usable && protocol == IPPROTO_UDP) {
		fill_task_header(out, EVENT_DNS_PACKET, task, filter_has_cgroup_id);
		bpf_map_update_elem(&dns_ports, key, out, BPF_ANY);
		return DNS_SOURCE_TASK;
	}
	struct dns_port_key exact = *key;
	struct event_header *owner = lookup_owner(key);
	if (owner) {
		*out = *owner;
		return DNS_SOURCE_PORT_MAP;
	}
	if (task_usable) {
		fill_task_header(out, EVENT_DNS_PACKET, task, filter_has_cgroup_id);
		bpf_map_update_elem(&dns_ports, &exact, out, BPF_ANY);
		return DNS_SOURCE_TASK;
	}
	return DNS_SOURCE_NONE;
}

SEC("socket")
int dns_packet(struct __sk_buff *skb)
{
	__u32 pkt_type = skb->pkt_type;
	__u32 ifindex = skb->ifindex;
	bool outgoing = pkt_type == PACKET_OUTGOING;
	if (!outgoing && pkt_type != PACKET_HOST)
		return 0;
	/* lo: keep the leaving copy only (see the header comment). */
	if (ifindex == LOOPBACK_IFINDEX && !outgoing)
		return 0;

	__u8 saddr[16] = {}, daddr[16] = {};
	__u8 family, protocol;
	__u32 l4_off, l4_len;
	int net_off;
	__u16 l3 = net16(skb->protocol);
	if (l3 == ETH_P_IP) {
		struct ipv4_head ip;
		if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET) != 0)
			return 0;
		if ((ip.version_ihl >> 4) != 4 || (net16(ip.frag_off) & IP_OFFSET) != 0)
			return 0;
		__u32 ihl = (ip.version_ihl & 0x0f) * 4;
		__u32 total = net16(ip.total_len);
		if (ihl < 20 || total < ihl)
			return 0;
		family = AF_INET;
		protocol = ip.protocol;
		__builtin_memcpy(saddr, &ip.saddr, 4);
		__builtin_memcpy(daddr, &ip.daddr, 4);
		l4_off = ihl;
		l4_len = total - ihl;
		net_off = network_offset(skb, (const __u8 *)&ip.saddr, 12);
	} else if (l3 == ETH_P_IPV6) {
		struct ipv6_head ip;
		if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET) != 0)
			return 0;
		family = AF_INET6;
		protocol = ip.next_header;
		__builtin_memcpy(saddr, ip.saddr, 16);
		__builtin_memcpy(daddr, ip.daddr, 16);
		l4_off = sizeof(ip);
		l4_len = net16(ip.payload_len);
		net_off = network_offset(skb, ip.saddr, 8);
	} else {
		return 0;
	}
	if (net_off < 0)
		return 0;
	/* From here on, offsets are from skb->data. */
	l4_off += net_off;

	__u16 sport, dport;
	__u32 payload_off, payload_len, seq = 0;
	__u8 tcp_flags = 0;
	if (protocol == IPPROTO_UDP) {
		struct udp_head udp;
		if (bpf_skb_load_bytes(skb, l4_off, &udp, sizeof(udp)) != 0)
			return 0;
		sport = net16(udp.sport);
		dport = net16(udp.dport);
		__u32 udp_len = net16(udp.len);
		if (udp_len < sizeof(udp))
			return 0;
		payload_off = l4_off + sizeof(udp);
		payload_len = udp_len - sizeof(udp);
	} else if (protocol == IPPROTO_TCP) {
		struct tcp_head tcp;
		if (bpf_skb_load_bytes(skb, l4_off, &tcp, sizeof(tcp)) != 0)
			return 0;
		sport = net16(tcp.sport);
		dport = net16(tcp.dport);
		__u32 doff = (tcp.data_off >> 4) * 4;
		if (doff < 20 || l4_len < doff)
			return 0;
		payload_off = l4_off + doff;
		payload_len = l4_len - doff;
		seq = net32(tcp.seq);
		tcp_flags = tcp.flags;
	} else {
		return 0;
	}
	if (sport != DNS_PORT && dport != DNS_PORT)
		return 0;
	if (payload_len == 0)
		return 0;

	__u32 zero = 0;
	struct dns_record *rec = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!rec)
		return 0;

	/* The client end is the one that is not port 53 (the source when both are). */
	bool client_is_src = dport == DNS_PORT;
	struct dns_port_key key = {};
	if (client_is_src)
		make_key(&key, saddr, sport, protocol, family);
	else
		make_key(&key, daddr, dport, protocol, family);
	rec->client_source = find_end_process(&key, outgoing && client_is_src, protocol, &rec->h);
	if (rec->client_source == DNS_SOURCE_NONE)
		__builtin_memset(&rec->h, 0, sizeof(rec->h));

	struct event_header server = {};
	if (client_is_src)
		make_key(&key, daddr, dport, protocol, family);
	else
		make_key(&key, saddr, sport, protocol, family);
	rec->server_source = find_end_process(&key, outgoing && !client_is_src, protocol, &server);
	rec->server_pid = server.pid;
	rec->server_tid = server.tid;
	__builtin_memcpy(rec->server_comm, server.comm, TASK_COMM_LEN);

	/* The header's time and kind are this packet's, whoever the process is. */
	rec->h.kind = EVENT_DNS_PACKET;
	rec->h.boot_ns = bpf_ktime_get_boot_ns();

	__builtin_memcpy(rec->src_addr, saddr, 16);
	__builtin_memcpy(rec->dst_addr, daddr, 16);
	rec->src_port = sport;
	rec->dst_port = dport;
	rec->family = family;
	rec->protocol = protocol;
	rec->direction = ifindex == LOOPBACK_IFINDEX ? DNS_LOOPBACK : outgoing ? DNS_EGRESS : DNS_INGRESS;
	rec->tcp_flags = tcp_flags;
	rec->reserved1 = 0;
	rec->ifindex = ifindex;
	rec->tcp_seq = seq;
	rec->payload_len = payload_len;
	rec->reserved2 = 0;

	__u32 limit = payload_limit;
	if (limit > DNS_PAYLOAD_MAX)
		limit = DNS_PAYLOAD_MAX;
	__u32 captured = payload_len < limit ? payload_len : limit;
	if (captured > DNS_PAYLOAD_MAX)
		captured = DNS_PAYLOAD_MAX;
	if (captured > 0 &&
	    bpf_skb_load_bytes(skb, payload_off, rec->payload, NONZERO_SIZE(captured, DNS_PAYLOAD_MAX)) != 0) {
		/* The packet is shorter than its headers claim: keep the record, flag it. */
		captured = 0;
		rec->h.flags |= EVENT_FLAG_PROBE_ERROR;
	}
	rec->captured_len = captured;

	__u64 size = DNS_RECORD_FIXED_SIZE + (__u64)captured;
	if (size > sizeof(*rec))
		return 0;
	rec->h.size = size;
	ring_output(&dns_events, &dns_events_lost, rec, size, sizeof(*rec));
	return 0;
}

/* ---- syscall exits that name the owner of a DNS socket exactly ---- */

/* Records the current process as the owner of sk's local end when sk talks DNS. */
static __always_inline void note_dns_socket(struct sock *sk)
{
	struct net_endpoint local = {}, remote = {};
	__u16 family = read_sock_ends(sk, &local, &remote);
	if (family != AF_INET && family != AF_INET6)
		return;
	if (local.port == 0 || (local.port != DNS_PORT && remote.port != DNS_PORT))
		return;
	__u16 protocol = BPF_CORE_READ(sk, sk_protocol);
	if (protocol != IPPROTO_UDP && protocol != IPPROTO_TCP)
		return;
	struct dns_port_key key = {};
	make_key(&key, local.addr, local.port, protocol, family);
	struct event_header owner;
	fill_event_header(&owner, EVENT_DNS_PACKET, current_task());
	bpf_map_update_elem(&dns_ports, &key, &owner, BPF_ANY);
}

static __always_inline int note_fd(int fd)
{
	if (fd < 0 || ignore_current())
		return 0;
	struct sock *sk = file_sock(task_fd_file(current_task(), fd));
	if (sk)
		note_dns_socket(sk);
	return 0;
}

static __always_inline struct pt_regs *syscall_regs(struct syscall_exit_ctx *ctx)
{
	return current_syscall_regs(current_task(), ctx->syscall_nr);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int dns_exit_connect(struct syscall_exit_ctx *ctx)
{
	if (ctx->ret != 0 && ctx->ret != -EINPROGRESS)
		return 0;
	return note_fd((int)SYSCALL_ARG1(syscall_regs(ctx)));
}

SEC("tracepoint/syscalls/sys_exit_bind")
int dns_exit_bind(struct syscall_exit_ctx *ctx)
{
	if (ctx->ret != 0)
		return 0;
	return note_fd((int)SYSCALL_ARG1(syscall_regs(ctx)));
}

SEC("tracepoint/syscalls/sys_exit_accept")
int dns_exit_accept(struct syscall_exit_ctx *ctx)
{
	return note_fd((int)ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int dns_exit_accept4(struct syscall_exit_ctx *ctx)
{
	return note_fd((int)ctx->ret);
}
