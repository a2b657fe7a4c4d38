/*
 * ring_watch: how full the BPF ring buffers of another process get, sampled from outside it.
 * Usage: ring_watch PID [INTERVAL_US]   (root: it takes copies of PID's file descriptors)
 *
 * A BPF ring buffer (BPF_MAP_TYPE_RINGBUF) keeps its consumer position in its first page and its producer
 * position in its second (kernel/bpf/ringbuf.c); any process holding the map's fd may map both read-only. The
 * bytes written and not yet consumed are producer - consumer. This program finds PID's ring buffer maps (fds whose
 * /proc/PID/fdinfo says map_type 27), duplicates them with pidfd_getfd (Linux 5.6), maps those two pages, and
 * samples the distance every INTERVAL_US microseconds (default 1000), so the extension needs no change to be
 * watched. A peak between two samples can be missed; the extension's reader drains every 1-100 ms, so at 1 ms
 * samples the figure is close.
 *
 * Each line "mark" on stdin prints one line per ring with the figures since the previous mark and starts new
 * ones; end of input ends the program:
 *   ring id=ID name=NAME size=BYTES peak=BYTES mean=BYTES produced=BYTES samples=N
 *   end
 * produced is how far the producer position moved (record bytes including 8-byte headers, rounded to 8).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_RINGS 32

struct ring {
	uint32_t id;
	uint32_t size;
	char name[BPF_OBJ_NAME_LEN];
	volatile const uint64_t *consumer;
	volatile const uint64_t *producer;
	uint64_t peak;
	double sum;
	uint64_t samples;
	uint64_t first_producer;
};

static struct ring rings[MAX_RINGS];
static int ring_count;

/* map_type and map_id from /proc/PID/fdinfo/FD; 0 when the fd is not a BPF map. */
static int read_fdinfo(int pid, const char *fd, uint32_t *type, uint32_t *id, uint32_t *size)
{
	char path[320], line[256];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	FILE *file = fopen(path, "r");
	if (!file)
		return 0;
	int found = 0;
	while (fgets(line, sizeof(line), file)) {
		unsigned long value;
		if (sscanf(line, "map_type: %lu", &value) == 1) {
			*type = (uint32_t)value;
			found |= 1;
		} else if (sscanf(line, "map_id: %lu", &value) == 1) {
			*id = (uint32_t)value;
			found |= 2;
		} else if (sscanf(line, "max_entries: %lu", &value) == 1) {
			*size = (uint32_t)value;
			found |= 4;
		}
	}
	fclose(file);
	return found == 7;
}

static void add_ring(int pidfd, int pid, const char *fd_text, uint32_t id, uint32_t size)
{
	for (int i = 0; i < ring_count; i++)
		if (rings[i].id == id)
			return; /* the same map under another fd */
	if (ring_count == MAX_RINGS)
		return;
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(fd_text), 0);
	if (fd < 0) {
		fprintf(stderr, "ring_watch: pidfd_getfd(%d, %s): %s\n", pid, fd_text, strerror(errno));
		exit(1);
	}
	struct ring *ring = &rings[ring_count];
	struct bpf_map_info info;
	memset(&info, 0, sizeof(info));
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	if (syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) == 0)
		memcpy(ring->name, info.name, sizeof(ring->name));
	else
		snprintf(ring->name, sizeof(ring->name), "?");
	long page = sysconf(_SC_PAGESIZE);
	/* Read-only: the consumer page, then the producer page (the data pages after them are not needed). */
	const uint8_t *pages = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 0);
	if (pages == MAP_FAILED) {
		fprintf(stderr, "ring_watch: mmap of ring %u: %s\n", id, strerror(errno));
		exit(1);
	}
	close(fd); /* the mapping keeps the map alive */
	ring->id = id;
	ring->size = size;
	ring->consumer = (volatile const uint64_t *)pages;
	ring->producer = (volatile const uint64_t *)(pages + page);
	ring->first_producer = *ring->producer;
	ring_count++;
}

static void find_rings(int pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "ring_watch: pidfd_open(%d): %s\n", pid, strerror(errno));
		exit(1);
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	DIR *dir = opendir(path);
	if (!dir) {
		fprintf(stderr, "ring_watch: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		uint32_t type = 0, id = 0, size = 0;
		if (read_fdinfo(pid, entry->d_name, &type, &id, &size) && type == BPF_MAP_TYPE_RINGBUF)
			add_ring(pidfd, pid, entry->d_name, id, size);
	}
	closedir(dir);
	close(pidfd);
}

static void sample(void)
{
	for (int i = 0; i < ring_count; i++) {
		struct ring *ring = &rings[i];
		uint64_t producer = *ring->producer, consumer = *ring->consumer;
		uint64_t pending = producer > consumer ? producer - consumer : 0;
		if (pending > ring->peak)
			ring->peak = pending;
		ring->sum += (double)pending;
		ring->samples++;
	}
}

static void report_and_reset(void)
{
	for (int i = 0; i < ring_count; i++) {
		struct ring *ring = &rings[i];
		uint64_t producer = *ring->producer;
		printf("ring id=%u name=%s size=%u peak=%llu mean=%.0f produced=%llu samples=%llu\n", ring->id, ring->name,
		       ring->size, (unsigned long long)ring->peak, ring->samples ? ring->sum / ring->samples : 0.0,
		       (unsigned long long)(producer - ring->first_producer), (unsigned long long)ring->samples);
		ring->peak = 0;
		ring->sum = 0;
		ring->samples = 0;
		ring->first_producer = producer;
	}
	printf("end\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: ring_watch PID [INTERVAL_US]\n");
		return 2;
	}
	int pid = atoi(argv[1]);
	long interval_us = argc == 3 ? atol(argv[2]) : 1000;
	if (pid <= 0 || interval_us <= 0) {
		fprintf(stderr, "ring_watch: PID and INTERVAL_US must be positive.\n");
		return 2;
	}
	find_rings(pid);
	printf("rings %d\n", ring_count);
	fflush(stdout);
	struct timespec interval = {.tv_sec = interval_us / 1000000, .tv_nsec = (interval_us % 1000000) * 1000};
	char line[64];
	size_t used = 0;
	for (;;) {
		struct pollfd input = {.fd = 0, .events = POLLIN};
		int ready = ppoll(&input, 1, &interval, NULL);
		sample();
		if (ready <= 0)
			continue;
		ssize_t n = read(0, line + used, sizeof(line) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
		line[used] = '\0';
		char *newline;
		while ((newline = strchr(line, '\n')) != NULL) {
			*newline = '\0';
			if (strcmp(line, "mark") == 0)
				report_and_reset();
			size_t rest = used - (size_t)(newline + 1 - line);
			memmove(line, newline + 1, rest + 1);
			used = rest;
		}
		if (used == sizeof(line) - 1)
			used = 0; /* a line too long to be a command */
	}
	return 0;
}
