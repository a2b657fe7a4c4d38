/* open loop: open(PATH, O_RDONLY) + close, N times. Usage: open_loop N PATH */
#include "common.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: open_loop N PATH\n");
		return 2;
	}
	long n = parse_count(argv[1]);
	const char *path = argv[2];
	print_pid();
	long ops = 0, failures = 0;
	double start = now_seconds();
	pace_begin(start);
	for (long i = 0; i < n; i++) {
		pace(i);
		int fd = open(path, O_RDONLY);
		if (fd < 0 || close(fd) != 0)
			failures++;
		else
			ops++;
	}
	print_result(ops, failures, now_seconds() - start);
	return failures == 0 ? 0 : 1;
}
