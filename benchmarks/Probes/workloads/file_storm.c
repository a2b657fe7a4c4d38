/* file storm: create + write + close + rename + unlink of a file in DIR, N times. Usage: file_storm N DIR */
#include "common.h"
#include <fcntl.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: file_storm N DIR\n");
		return 2;
	}
	long n = parse_count(argv[1]);
	const char *dir = argv[2];
	print_pid();
	char created[4096], renamed[4096];
	char data[64];
	memset(data, 'x', sizeof(data));
	long ops = 0, failures = 0;
	double start = now_seconds();
	pace_begin(start);
	for (long i = 0; i < n; i++) {
		pace(i);
		snprintf(created, sizeof(created), "%s/f%ld", dir, i);
		snprintf(renamed, sizeof(renamed), "%s/g%ld", dir, i);
		int fd = open(created, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (fd < 0) {
			failures++;
			continue;
		}
		int ok = write(fd, data, sizeof(data)) == (ssize_t)sizeof(data);
		ok &= close(fd) == 0;
		ok &= rename(created, renamed) == 0;
		ok &= unlink(renamed) == 0;
		if (ok)
			ops++;
		else
			failures++;
	}
	print_result(ops, failures, now_seconds() - start);
	return failures == 0 ? 0 : 1;
}
