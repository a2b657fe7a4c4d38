/*
 * DNS storm: N UDP queries (type A, qN.bench.test) to SERVER:PORT over one connected socket, each waiting for its
 * answer (1 s timeout, counted as a failure). Usage: dns_storm N SERVER PORT
 */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

/* Writes a query for q<index>.bench.test into buffer and returns its length. */
static size_t build_query(unsigned char *buffer, unsigned short id, long index)
{
	size_t at = 0;
	buffer[at++] = id >> 8;
	buffer[at++] = id & 0xff;
	buffer[at++] = 0x01; /* RD */
	buffer[at++] = 0x00;
	buffer[at++] = 0x00; /* QDCOUNT 1 */
	buffer[at++] = 0x01;
	memset(buffer + at, 0, 6); /* ANCOUNT, NSCOUNT, ARCOUNT */
	at += 6;
	char label[32];
	int length = snprintf(label, sizeof(label), "q%ld", index);
	buffer[at++] = (unsigned char)length;
	memcpy(buffer + at, label, length);
	at += length;
	static const unsigned char rest[] = {5, 'b', 'e', 'n', 'c', 'h', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};
	memcpy(buffer + at, rest, sizeof(rest));
	return at + sizeof(rest);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: dns_storm N SERVER PORT\n");
		return 2;
	}
	long n = parse_count(argv[1]);
	struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[3]))};
	if (inet_pton(AF_INET, argv[2], &server.sin_addr) != 1) {
		fprintf(stderr, "The server address '%s' is not an IPv4 address.\n", argv[2]);
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&server, sizeof(server)) != 0) {
		perror("DNS socket");
		return 1;
	}
	print_pid();
	unsigned char query[512], answer[1500];
	long ops = 0, failures = 0;
	double start = now_seconds();
	pace_begin(start);
	for (long i = 0; i < n; i++) {
		pace(i);
		unsigned short id = (unsigned short)(i * 7919 + 1);
		size_t length = build_query(query, id, i);
		if (send(fd, query, length, 0) != (ssize_t)length) {
			failures++;
			continue;
		}
		int answered = 0;
		for (;;) {
			struct pollfd ready = {.fd = fd, .events = POLLIN};
			if (poll(&ready, 1, 1000) <= 0)
				break;
			ssize_t got = recv(fd, answer, sizeof(answer), 0);
			/* A late answer to an earlier query that timed out is read and skipped. */
			if (got >= 12 && answer[0] == (id >> 8) && answer[1] == (id & 0xff)) {
				answered = 1;
				break;
			}
		}
		if (answered)
			ops++;
		else
			failures++;
	}
	print_result(ops, failures, now_seconds() - start);
	return failures == 0 ? 0 : 1;
}
