/*
 * connect storm: TCP connect + accept + close of both ends on 127.0.0.1, N times, client and server in one thread
 * (a loopback connect completes from the listen backlog, so accept never blocks). Usage: connect_storm N
 *
 * The client closes with SO_LINGER 0 (a reset), so no TIME_WAIT is left behind: tens of thousands of connections
 * per run would otherwise use up the ephemeral ports between runs.
 */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: connect_storm N\n");
		return 2;
	}
	long n = parse_count(argv[1]);
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t length = sizeof(address);
	if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0 ||
	    listen(listener, 128) != 0 || getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
		perror("listening socket");
		return 1;
	}
	print_pid();
	struct linger reset = {.l_onoff = 1, .l_linger = 0};
	long ops = 0, failures = 0;
	double start = now_seconds();
	pace_begin(start);
	for (long i = 0; i < n; i++) {
		pace(i);
		int client = socket(AF_INET, SOCK_STREAM, 0);
		if (client < 0) {
			failures++;
			continue;
		}
		setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		if (connect(client, (struct sockaddr *)&address, sizeof(address)) != 0) {
			close(client);
			failures++;
			continue;
		}
		int server = accept(listener, NULL, NULL);
		int ok = server >= 0;
		ok &= close(client) == 0;
		if (server >= 0)
			ok &= close(server) == 0;
		if (ok)
			ops++;
		else
			failures++;
	}
	print_result(ops, failures, now_seconds() - start);
	close(listener);
	return failures == 0 ? 0 : 1;
}
