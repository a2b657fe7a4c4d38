/* exec storm: fork + execve("/bin/true") + waitpid, N times. Usage: exec_storm N */
#include "common.h"
#include <sys/wait.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: exec_storm N\n");
		return 2;
	}
	long n = parse_count(argv[1]);
	print_pid();
	char *child_argv[] = {"true", NULL};
	char *child_env[] = {NULL};
	long ops = 0, failures = 0;
	double start = now_seconds();
	pace_begin(start);
	for (long i = 0; i < n; i++) {
		pace(i);
		pid_t child = fork();
		if (child == 0) {
			execve("/bin/true", child_argv, child_env);
			_exit(127);
		}
		int status;
		if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failures++;
		else
			ops++;
	}
	print_result(ops, failures, now_seconds() - start);
	return failures == 0 ? 0 : 1;
}
