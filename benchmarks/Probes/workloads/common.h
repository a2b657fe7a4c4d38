/* Shared by the workloads: argument parsing, a monotonic clock and the one-line result every workload prints. */
#ifndef PROBES_BENCH_COMMON_H
#define PROBES_BENCH_COMMON_H
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long parse_count(const char *text)
{
	char *end;
	long n = strtol(text, &end, 10);
	if (*end != '\0' || n <= 0) {
		fprintf(stderr, "The operation count '%s' is not a positive integer.\n", text);
		exit(2);
	}
	return n;
}

/* The harness parses this line: the pid, operations that succeeded, and the pace. */
static void print_result(long ops, long failures, double seconds)
{
	printf("pid=%d ops=%ld failures=%ld seconds=%.6f ops_per_s=%.1f\n", (int)getpid(), ops, failures, seconds,
	       seconds > 0 ? ops / seconds : 0.0);
	fflush(stdout);
}

static void print_pid(void)
{
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
}
#endif
