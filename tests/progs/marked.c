// SPDX-License-Identifier: MIT
/*
 * marked.c - a marked program whose every operation has a known ground
 * truth, for the integration tests. One scenario per invocation:
 *
 *   marked sleep MS COUNT      COUNT x "sleep_op" sleeping MS ms each
 *   marked alloc MIB           "alloc_op" allocates and touches MIB MiB, keeps it
 *   marked nested N            N x outer{ 2 x middle{ 3 x inner } } + scoped ops
 *   marked separators N        N x "semi;colon"{ "with space"{ "back\\slash" },
 *                              "tab\there" }: names holding folded-stack separators
 *   marked long N              N x a 63-byte name { a 40-byte name }: names wider
 *                              than a terminal's table has room for
 *   marked threads T N         T threads, each N x "thread_op"{ "thread_inner" }
 *   marked gate BEFORE AFTER   BEFORE x "before_op", then waits for a line on
 *                              stdin, then AFTER x "after_op"
 *   marked deep N              N nested starts (beyond the tracer's stack limit)
 *   marked open                "open_op" started, then waits for a line on stdin
 *   marked spin MS             "spin_op" burns MS ms of CPU time, prints cpu_ns, wall_ns
 *                              and run_delay_ns
 *   marked write BYTES         "write_op" writes BYTES to a temporary file
 *   marked records N           N x "batch_op" ended with a count of 1000, 10 ms each
 *   marked seed                the seed's example: "memory_intensive_task" loads
 *                              150 MiB, processes into 50 MiB, frees the 150 MiB
 *   marked loop                waits for a line on stdin, then "loop_op" (1 ms) forever
 *   marked leak                starts "leaked_op" and exits without ending it
 *   marked hostile [wait]      one op under each of several hostile names (then,
 *                              with "wait", waits for a line on stdin)
 *   marked edge                "" (an empty literal), then a 100-byte name as a
 *                              literal and the same built in a buffer: each once
 *   marked majflt PAGES        "majflt_op" reads PAGES pages of a file in /var/tmp
 *                              mapped after dropping them from the page cache: one
 *                              major fault each (exit 1 if /var/tmp is in memory)
 *   marked dlopen LIB N        after the gate, dlopen LIB (tests/progs/lib/etlplugin.c),
 *                              print "marked: loaded", wait for a second line, then
 *                              run its N "plugin_op" operations
 *   marked alike               "bad\xff" once, then "bad\xfe" twice: names alike once
 *                              invalid UTF-8 is replaced; then waits for a line on stdin
 *   marked names N             N operations, each under its own name ("name_00000"...)
 *   marked dynamic             "table_0".."table_4" built in one reused buffer, then
 *                              "copied_end" started as a literal, ended by a copy
 *   marked peak_thread         "waiting_op" waits while another thread allocates,
 *                              touches and frees 32 MiB (net 0, peak +32 MiB)
 *
 * Prints "marked: ready" on stdout (flushed) before a gate wait.
 */
#include <etl_probe.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static void wait_line(void)
{
	char buf[16];

	printf("marked: ready\n");
	fflush(stdout);
	if (!fgets(buf, sizeof(buf), stdin))
		exit(3);
}

static int do_sleep(long ms, long count)
{
	for (long i = 0; i < count; i++) {
		ETL_OP_START("sleep_op");
		sleep_ms(ms);
		ETL_OP_END("sleep_op");
	}
	return 0;
}

static int do_alloc(long mib)
{
	size_t len = (size_t)mib << 20;
	char *p;

	ETL_OP_START("alloc_op");
	p = malloc(len);
	if (!p)
		return 1;
	memset(p, 0x5a, len);
	ETL_OP_END("alloc_op");
	/* Kept: the operation's net delta must show it. */
	__asm__ volatile("" ::"r"(p) : "memory");
	return 0;
}

/* Allocates and touches mib MiB with its own mapping, so free returns it.
 * In 4 KiB pages, one minor fault each (the tests' ground truth), whatever
 * the system's transparent huge page setting: with "always" (Debian's 6.1
 * kernels) a 2 MiB page would take one fault for 512 pages. */
static char *touch_alloc(long mib)
{
	size_t len = (size_t)mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, len, MADV_NOHUGEPAGE)) {
		munmap(p, len);
		return NULL;
	}
	memset(p, 0x5a, len);
	return p;
}

static int do_seed(void)
{
	char *dataset, *processed;

	ETL_OP_START("memory_intensive_task");
	dataset = touch_alloc(150);    /* +150 MB */
	processed = touch_alloc(50);   /* +50 MB */
	if (!dataset || !processed)
		return 1;
	munmap(dataset, 150 << 20);    /* -150 MB */
	ETL_OP_END("memory_intensive_task");
	__asm__ volatile("" ::"r"(processed) : "memory");
	return 0;
}

static void *alloc_free_32(void *arg)
{
	char *p = touch_alloc(32);

	if (p)
		munmap(p, 32 << 20);
	return arg;
}

static int do_peak_thread(void)
{
	pthread_t th;

	ETL_OP_START("waiting_op");
	if (pthread_create(&th, NULL, alloc_free_32, NULL))
		return 1;
	pthread_join(th, NULL);
	ETL_OP_END("waiting_op");
	return 0;
}

static int do_loop(void)
{
	wait_line();
	for (;;) {
		ETL_OP_START("loop_op");
		sleep_ms(1);
		ETL_OP_END("loop_op");
	}
	return 0;
}

/* Names a traced program may send: quotes, backslashes, newlines, control
 * bytes, a terminal escape sequence, invalid UTF-8. */
static const char *const hostile_names[] = {
	"quote\"name", "back\\slash", "new\nline", "esc\x1b[31mred", "bad\xff\xfeutf8",
	"tab\there",
};

static int do_hostile(bool wait)
{
	for (size_t i = 0; i < sizeof(hostile_names) / sizeof(hostile_names[0]); i++) {
		ETL_OP_START(hostile_names[i]);
		ETL_OP_END(hostile_names[i]);
	}
	if (wait)
		wait_line();
	return 0;
}

static int do_alike(void)
{
	static const char *const names[] = { "bad\xff", "bad\xfe", "bad\xfe" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ETL_OP_START(names[i]);
		ETL_OP_END(names[i]);
	}
	wait_line();
	return 0;
}

#define NAME_100 "a_name_of_one_hundred_bytes_" "0123456789012345678901234567890123" \
		 "01234567890123456789012345678901234567"

static int do_edge(void)
{
	char buf[128];

	_Static_assert(sizeof(NAME_100) == 101, "100 bytes and the NUL");
	ETL_OP_START("");
	ETL_OP_END("");
	ETL_OP_START(NAME_100);
	ETL_OP_END(NAME_100);
	memcpy(buf, NAME_100, sizeof(NAME_100));
	ETL_OP_START(buf);
	ETL_OP_END(buf);
	return 0;
}

/* A file whose pages can come from a disk: /var/tmp, not /tmp, which is
 * often a tmpfs (where pages live in memory and are never read from a
 * disk, so no fault is major). Refuses a directory held in memory. */
static int disk_file(void)
{
	char path[] = "/var/tmp/etltrace-majflt-XXXXXX";
	struct statfs fs;
	int fd = mkstemp(path);

	if (fd < 0) {
		fprintf(stderr, "marked: cannot create a file in /var/tmp: %s\n", strerror(errno));
		return -1;
	}
	unlink(path);
	if (fstatfs(fd, &fs) || fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC) {
		fprintf(stderr, "marked: /var/tmp is held in memory (tmpfs or ramfs): no page of a "
				"file there is ever read from a disk\n");
		close(fd);
		return -1;
	}
	return fd;
}

static int do_majflt(long pages)
{
	size_t len = (size_t)pages * 4096;
	char *buf, *map;
	volatile char sink = 0;
	int fd = disk_file(), rc = 1;

	if (fd < 0)
		return 1;
	buf = calloc(1, len);
	if (!buf || write(fd, buf, len) != (ssize_t)len || fsync(fd))
		goto cleanup;
	/* Out of the page cache, and no readahead: every page is read from
	 * the disk by its own fault. */
	if (posix_fadvise(fd, 0, (off_t)len, POSIX_FADV_DONTNEED))
		goto cleanup;
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED || madvise(map, len, MADV_RANDOM))
		goto cleanup;
	ETL_OP_START("majflt_op");
	for (size_t off = 0; off < len; off += 4096)
		sink += map[off];
	ETL_OP_END("majflt_op");
	munmap(map, len);
	rc = 0;
cleanup:
	free(buf);
	close(fd);
	return rc;
}

static int do_dlopen(const char *lib, long n)
{
	void (*run)(long);
	char buf[16];
	void *h;

	wait_line();
	h = dlopen(lib, RTLD_NOW);
	if (!h)
		return 4;
	*(void **)&run = dlsym(h, "etl_plugin_run");
	if (!run)
		return 4;
	printf("marked: loaded\n");
	fflush(stdout);
	if (!fgets(buf, sizeof(buf), stdin))
		return 3;
	run(n);
	return 0;
}

static int do_names(long n)
{
	char buf[32];

	for (long i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "name_%05ld", i);
		ETL_OP_START(buf);
		ETL_OP_END(buf);
	}
	return 0;
}

static int do_dynamic(void)
{
	char buf[32];

	for (int i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "table_%d", i);
		ETL_OP_START(buf);
		ETL_OP_END(buf);
	}
	/* Same name, another address: paired by content. */
	strcpy(buf, "copied_end");
	ETL_OP_START("copied_end");
	ETL_OP_END(buf);
	return 0;
}

static void scoped_leaf(void)
{
	ETL_OP_SCOPE("scoped_leaf");
}

static int do_nested(long n)
{
	for (long i = 0; i < n; i++) {
		ETL_OP_START("outer");
		for (int j = 0; j < 2; j++) {
			ETL_OP_SCOPE("middle");
			for (int k = 0; k < 3; k++) {
				ETL_OP_START("inner");
				scoped_leaf();
				ETL_OP_END("inner");
			}
		}
		ETL_OP_END("outer");
	}
	return 0;
}

/* Names that folded stacks must escape, nested so that they join paths. */
static int do_separators(long n)
{
	for (long i = 0; i < n; i++) {
		ETL_OP_START("semi;colon");
		ETL_OP_START("with space");
		ETL_OP_START("back\\slash");
		ETL_OP_END("back\\slash");
		ETL_OP_END("with space");
		ETL_OP_START("tab\there");
		ETL_OP_END("tab\there");
		ETL_OP_END("semi;colon");
	}
	return 0;
}

#define LONG_OUTER "extract_customer_records_from_the_regional_warehouse_partitions"
#define LONG_INNER "normalise_postal_addresses_and_countries"

static int do_long(long n)
{
	for (long i = 0; i < n; i++) {
		ETL_OP_START(LONG_OUTER);
		ETL_OP_START(LONG_INNER);
		ETL_OP_END(LONG_INNER);
		ETL_OP_END(LONG_OUTER);
	}
	return 0;
}

static void *thread_main(void *arg)
{
	long n = (long)arg;

	for (long i = 0; i < n; i++) {
		ETL_OP_START("thread_op");
		ETL_OP_START("thread_inner");
		ETL_OP_END("thread_inner");
		ETL_OP_END("thread_op");
	}
	return NULL;
}

static int do_threads(long t, long n)
{
	pthread_t th[64];

	if (t < 1 || t > 64)
		return 2;
	for (long i = 0; i < t; i++)
		if (pthread_create(&th[i], NULL, thread_main, (void *)n))
			return 1;
	for (long i = 0; i < t; i++)
		pthread_join(th[i], NULL);
	return 0;
}

static int do_gate(long before, long after)
{
	for (long i = 0; i < before; i++) {
		ETL_OP_START("before_op");
		ETL_OP_END("before_op");
	}
	wait_line();
	for (long i = 0; i < after; i++) {
		ETL_OP_START("after_op");
		sleep_ms(1);
		ETL_OP_END("after_op");
	}
	return 0;
}

static void deep(long n)
{
	if (n <= 0)
		return;
	ETL_OP_START("deep_op");
	deep(n - 1);
	ETL_OP_END("deep_op");
}

static int do_open(void)
{
	ETL_OP_START("open_op");
	wait_line();
	return 0;
}

static int64_t ns_of(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* This thread's time spent runnable but not running (run_delay of
 * /proc/thread-self/schedstat, ns), or -1 if the kernel does not say. */
static int64_t run_delay_ns(void)
{
	long long run = 0, delay = -1;
	FILE *f = fopen("/proc/thread-self/schedstat", "re");

	if (f && fscanf(f, "%lld %lld", &run, &delay) != 2)
		delay = -1;
	if (f)
		fclose(f);
	return delay;
}

/* Burns ms milliseconds of this thread's CPU time and reports on stderr the
 * CPU and wall time the operation took, and how long the thread waited for
 * a CPU meanwhile (run_delay_ns, -1 if unknown): the wall time less that
 * is the time it held a CPU, which its CPU clock undercounts by what the
 * hypervisor (steal) and interrupts took. */
static int do_spin(long ms)
{
	volatile unsigned long x = 0;
	int64_t w0, c0, w1, c1, d0 = run_delay_ns(), d1;

	ETL_OP_START("spin_op");
	w0 = ns_of(CLOCK_MONOTONIC);
	c0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
	do {
		for (int i = 0; i < 10000; i++)
			x += i;
		c1 = ns_of(CLOCK_THREAD_CPUTIME_ID);
	} while (c1 - c0 < ms * 1000000);
	w1 = ns_of(CLOCK_MONOTONIC);
	ETL_OP_END("spin_op");
	d1 = run_delay_ns();
	fprintf(stderr, "marked: cpu_ns=%lld wall_ns=%lld run_delay_ns=%lld\n", (long long)(c1 - c0),
		(long long)(w1 - w0), d0 < 0 || d1 < 0 ? -1LL : (long long)(d1 - d0));
	return 0;
}

static int do_write(long bytes)
{
	char buf[4096];
	FILE *f = tmpfile();
	int fd;

	if (!f)
		return 1;
	fd = fileno(f);
	memset(buf, 'x', sizeof(buf));
	ETL_OP_START("write_op");
	for (long left = bytes; left > 0;) {
		ssize_t n = write(fd, buf, left < (long)sizeof(buf) ? (size_t)left : sizeof(buf));

		if (n <= 0)
			return 1;
		left -= n;
	}
	ETL_OP_END("write_op");
	fclose(f);
	return 0;
}

static int do_records(long n)
{
	for (long i = 0; i < n; i++) {
		ETL_OP_START("batch_op");
		sleep_ms(10);
		ETL_OP_END_N("batch_op", 1000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	long a = argc > 2 ? atol(argv[2]) : 0, b = argc > 3 ? atol(argv[3]) : 0;
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "sleep"))
		return do_sleep(a, b);
	if (!strcmp(mode, "alloc"))
		return do_alloc(a);
	if (!strcmp(mode, "nested"))
		return do_nested(a);
	if (!strcmp(mode, "long"))
		return do_long(a);
	if (!strcmp(mode, "separators"))
		return do_separators(a);
	if (!strcmp(mode, "threads"))
		return do_threads(a, b);
	if (!strcmp(mode, "gate"))
		return do_gate(a, b);
	if (!strcmp(mode, "deep")) {
		deep(a);
		return 0;
	}
	if (!strcmp(mode, "open"))
		return do_open();
	if (!strcmp(mode, "spin"))
		return do_spin(a);
	if (!strcmp(mode, "write"))
		return do_write(a);
	if (!strcmp(mode, "records"))
		return do_records(a);
	if (!strcmp(mode, "seed"))
		return do_seed();
	if (!strcmp(mode, "peak_thread"))
		return do_peak_thread();
	if (!strcmp(mode, "loop"))
		return do_loop();
	if (!strcmp(mode, "leak")) {
		ETL_OP_START("leaked_op");
		return 0;
	}
	if (!strcmp(mode, "hostile"))
		return do_hostile(argc > 2 && !strcmp(argv[2], "wait"));
	if (!strcmp(mode, "alike"))
		return do_alike();
	if (!strcmp(mode, "edge"))
		return do_edge();
	if (!strcmp(mode, "dynamic"))
		return do_dynamic();
	if (!strcmp(mode, "majflt"))
		return do_majflt(a);
	if (!strcmp(mode, "names"))
		return do_names(a);
	if (!strcmp(mode, "dlopen"))
		return argc > 3 ? do_dlopen(argv[2], atol(argv[3])) : 2;
	fprintf(stderr, "usage: marked sleep|alloc|nested|separators|long|threads|gate|deep|open|spin|write|records|seed|peak_thread|loop|leak|hostile|alike|edge|dynamic|majflt|names|dlopen ...\n");
	return 2;
}
