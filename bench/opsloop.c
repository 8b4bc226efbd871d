/*
 * opsloop: open/read/close load generator for the FUSE benchmark.
 *
 * Usage: opsloop FILE SECONDS READERS [WARMUP_SECONDS [READ_SIZE [MAX_OPS]]]
 *
 * Forks READERS children; each loops open(FILE, O_RDONLY) / read(READ_SIZE) /
 * close for WARMUP seconds (not counted), then SECONDS (counted), or until it
 * has done MAX_OPS counted cycles when MAX_OPS > 0 (bench/requests.sh counts
 * the FUSE requests of a known number of cycles); READ_SIZE is the size of the
 * single read() per cycle, 4096 bytes by default. A failed open/read/close or a
 * read returning 0 bytes counts as an error. Children send their counts to the
 * parent through a pipe; the parent prints
 *   ops_per_s=<total ops/s> errors=<n> readers=<P> ops=<counted cycles>
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct result {
	uint64_t ops;
	uint64_t errors;
	uint64_t elapsed_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One open/read/close; returns 0 on success, 1 on error. */
static int one_op(const char *file, char *buf, size_t size)
{
	int err = 0;
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		return 1;
	if (read(fd, buf, size) <= 0)
		err = 1;
	if (close(fd) != 0)
		err = 1;
	return err;
}

static void child(const char *file, double seconds, double warmup, size_t size, uint64_t max_ops, int wfd)
{
	char *buf = malloc(size);
	struct result r = {0, 0, 0};
	uint64_t t0 = now_ns();
	uint64_t start = t0 + (uint64_t)(warmup * 1e9);
	uint64_t end = start + (uint64_t)(seconds * 1e9);
	uint64_t t;

	if (buf == NULL)
		_exit(1);
	while (now_ns() < start)
		one_op(file, buf, size);
	start = now_ns();
	do {
		r.errors += (uint64_t)one_op(file, buf, size);
		r.ops++;
	} while ((t = now_ns()) < end && (max_ops == 0 || r.ops < max_ops));
	r.elapsed_ns = t - start;
	if (write(wfd, &r, sizeof r) != (ssize_t)sizeof r)
		_exit(2);
	_exit(0);
}

int main(int argc, char **argv)
{
	int fds[2], i, readers, failed = 0;
	double seconds, warmup = 0, ops_per_s = 0;
	long size = 4096;
	long long max_ops = 0;
	uint64_t errors = 0, ops = 0;
	struct result r;
	pid_t self = getpid();

	if (argc < 4 || argc > 7) {
		fprintf(stderr, "usage: %s FILE SECONDS READERS [WARMUP_SECONDS [READ_SIZE [MAX_OPS]]]\n", argv[0]);
		return 2;
	}
	seconds = atof(argv[2]);
	readers = atoi(argv[3]);
	if (argc >= 5)
		warmup = atof(argv[4]);
	if (argc >= 6)
		size = atol(argv[5]);
	if (argc == 7)
		max_ops = atoll(argv[6]);
	if (seconds <= 0 || readers < 1 || warmup < 0 || size < 1 || size > (64L << 20) || max_ops < 0) {
		fprintf(stderr, "opsloop: SECONDS and READERS must be > 0, WARMUP >= 0, 1 <= READ_SIZE <= 64 MiB, MAX_OPS >= 0\n");
		return 2;
	}
	if (pipe(fds) != 0) {
		perror("opsloop: pipe");
		return 1;
	}
	for (i = 0; i < readers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("opsloop: fork");
			return 1;
		}
		if (pid == 0) {
			/* Die with the parent (e.g. when the benchmark is interrupted). */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			/* Not getppid() == 1: opsloop may itself be pid 1 of a pid namespace. */
			if (getppid() != self)
				_exit(1);
			close(fds[0]);
			child(argv[1], seconds, warmup, (size_t)size, (uint64_t)max_ops, fds[1]);
		}
	}
	close(fds[1]);
	/* Each result is far smaller than PIPE_BUF, so the writes are atomic. */
	for (i = 0; i < readers; i++) {
		ssize_t n;

		do
			n = read(fds[0], &r, sizeof r);
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof r) {
			failed++;
			continue;
		}
		errors += r.errors;
		ops += r.ops;
		if (r.elapsed_ns > 0)
			ops_per_s += (double)r.ops * 1e9 / (double)r.elapsed_ns;
	}
	while (wait(NULL) > 0)
		;
	if (failed) {
		fprintf(stderr, "opsloop: %d of %d readers did not report\n", failed, readers);
		return 1;
	}
	printf("ops_per_s=%.0f errors=%llu readers=%d ops=%llu\n", ops_per_s,
	       (unsigned long long)errors, readers, (unsigned long long)ops);
	return 0;
}
