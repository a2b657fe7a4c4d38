/*
 * Shared by the workloads: argument parsing, a monotonic clock, optional pacing and the one-line result every
 * workload prints.
 */
#ifndef PROBES_BENCH_COMMON_H
#define PROBES_BENCH_COMMON_H
#include <errno.h>
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

/*
 * Pacing: with WORKLOAD_RATE=R in the environment (operations per second), operation i starts no earlier than
 * start + i / R; without it the workload runs as fast as it can. The schedule is absolute, so a late operation
 * (the process was not scheduled, a sleep overshot) is followed by operations back to back until the workload
 * is on time again: the average rate holds, bursts last no longer than the delay that caused them.
 */
static double pace_rate;
static double pace_start;

static void pace_begin(double start)
{
	const char *text = getenv("WORKLOAD_RATE");
	pace_start = start;
	pace_rate = 0;
	if (text != NULL && *text != '\0') {
		char *end;
		pace_rate = strtod(text, &end);
		if (*end != '\0' || pace_rate <= 0) {
			fprintf(stderr, "WORKLOAD_RATE '%s' is not a positive number of operations per second.\n", text);
			exit(2);
		}
	}
}

/* Waits until operation i is due (no-op without WORKLOAD_RATE). */
static void pace(long i)
{
	if (pace_rate <= 0)
		return;
	double due = pace_start + i / pace_rate;
	if (now_seconds() >= due)
		return;
	struct timespec at = {.tv_sec = (time_t)due, .tv_nsec = (long)((due - (time_t)due) * 1e9)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
		;
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
