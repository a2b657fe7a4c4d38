// A process whose threads are all running when it exits: n threads spin, then main calls exit(5), which ends every
// thread at once (exit_group). Each thread then passes through the sched_process_exit tracepoint concurrently.
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void *spin(void *arg)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
	return arg;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 8;
	for (int i = 0; i < n; i++) {
		pthread_t thread;
		pthread_create(&thread, NULL, spin, NULL);
	}
	usleep(20000);
	exit(5);
}
