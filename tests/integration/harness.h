/* SPDX-License-Identifier: MIT */
/*
 * harness.h - run the real etltrace against real marked programs, as root,
 * and read its JSON report. Every wait is on an explicit signal (the
 * tracer's readiness line, a target's "ready" line), never on a sleep.
 */
#ifndef ETLTRACE_HARNESS_H
#define ETLTRACE_HARNESS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

/* cmocka group setup: fails the whole group (never skips it) unless the
 * tests run as root, which tracing needs, and ETLTRACE_TIMING is valid. */
int harness_require_root(void **state);

/* Timing bounds. ETLTRACE_TIMING=loose says the tests run where code is
 * 10-30x slower and unevenly so (a kernel under an emulator, as make
 * test-kernels runs them): there a bound on how much longer than its
 * ground truth a duration, latency or rate may come out is widened, and
 * only that. Lower bounds a duration cannot go under (a 50 ms sleep lasts
 * 50 ms), counts, names, nesting, exit codes and bytes stay exact.
 * Unset or "strict": the tests' stated tolerances. */
bool timing_loose(void);

/* Whether etltrace runs under AddressSanitizer (make test-sanitize sets
 * ETLTRACE_SANITIZED=1): its quarantine holds freed memory, so bounds on
 * etltrace's resident set are printed, not asserted (make test has them). */
bool rss_bounds_apply(void);

/* strict, or loose under ETLTRACE_TIMING=loose. */
double timing_bound(double strict, double loose);

/* cmocka setup and teardown of a test that could hang on a defect (a
 * process that never receives a signal, one left stopped): the test binary
 * fails, saying so, if the test lasts more than HARNESS_TIMEOUT seconds
 * (ten times that with ETLTRACE_TIMING=loose).
 * The setup also ignores SIGPIPE in the test process (a child that died
 * early is then a failed write, not a dead test); children start with the
 * default disposition. */
#define HARNESS_TIMEOUT 30
int harness_arm(void **state);
int harness_disarm(void **state);
#define HARNESS_TEST(f) cmocka_unit_test_setup_teardown(f, harness_arm, harness_disarm)

/* Path of a built file: $ETLTRACE_BUILD/rel (default build/rel). Static buffer
 * per call slot; copy it if you need two at once. */
const char *build_path(const char *rel);

/* A child process with its stdin and stdout (or stderr) on pipes. */
struct child {
	pid_t pid;
	int in_fd;   /* its stdin, -1 if closed */
	int out_fd;  /* its stdout (targets) or stderr (tracer) */
	char *out_path; /* tracer: the report file (owned) */
};

/* Starts a target program (argv[0] a path) and waits until it prints a
 * line on stdout (its "ready" line). Returns 0 or -1. */
int target_start(char *const argv[], struct child *c);

/* The same, handing back that line (malloc'd) in *line. */
int target_start_keep(char *const argv[], struct child *c, char **line);

/* The same, for a program that prints its first line on stderr. */
int target_start_stderr(char *const argv[], struct child *c);

/* Writes a line to a target's stdin, keeping it open. Returns 0 or -1. */
int target_send_line(struct child *c);

/* Reads lines from a child's output until one contains needle. Returns 0,
 * or -1 at end of output. */
int child_wait_line(struct child *c, const char *needle);

/* Lets a waiting target go on (writes a line to its stdin). */
int target_release(struct child *c);

/* Waits for a child, reading what it still prints (so it cannot die of
 * SIGPIPE); returns its exit status (128 + signal if killed). */
int child_wait(struct child *c);

/* Starts `etltrace --format json -o TMP ARGS...` and waits for its
 * readiness line on stderr. Returns 0, or -1 if it exited first (then
 * *early_rc holds its exit status). */
int tracer_start(char *const args[], struct child *t, int *early_rc);

/* Sends SIGINT if `interrupt`, waits for the tracer, and parses its report
 * into *report (NULL if none). Returns the exit status. */
int tracer_finish(struct child *t, bool interrupt, struct json_object **report);

/* Runs etltrace to completion with args (NULL-terminated; --format json and
 * -o are added), capturing stderr into *err (malloc'd, may be NULL) and the
 * report into *report (NULL if none). Returns the exit status. */
int run_etltrace(char *const args[], struct json_object **report, char **err);

/* report["operations"][name], or NULL. */
struct json_object *report_op(struct json_object *report, const char *name);

/* Numeric member of obj as double / int64; fails the test if absent. */
double jnum(struct json_object *obj, const char *key);
long long jint(struct json_object *obj, const char *key);

/* report["counters"][key]; fails the test if absent. */
long long counter(struct json_object *report, const char *key);

/* Sum of key over every operation of the report. */
long long ops_sum(struct json_object *report, const char *key);

/* Fails the test unless nothing was lost or left unmatched: every loss
 * counter of report r is 0 (ringbuf_full, process_events_lost,
 * processes_not_followed, unmatched_end, name_mismatch, abandoned,
 * stack_overflow, no_thread_storage, names_unresolved, records_malformed)
 * and starts, ends and records are equal. */
void assert_clean(struct json_object *r);

/*
 * Fails the test unless the report's counters account for every probe
 * (see bpf/etltrace.bpf.c: each start pushes a frame or is counted as
 * stack_overflow or no_thread_storage; a frame leaves as a record (ended,
 * or unfinished at its thread's exit, exec or the end of the trace),
 * dropped (ringbuf_full) or skipped by an outer end (abandoned); each end
 * closes a frame, or is unmatched_end, name_mismatch, or the end of an
 * overflowed start, which no counter names):
 *   starts  = records + ringbuf_full + abandoned + stack_overflow + no_thread_storage
 *   records = sum of count + sum of unfinished over the operations
 *   ends    = sum of count + unmatched_end + name_mismatch + x,
 *             0 <= x <= stack_overflow + ringbuf_full (ends of overflowed
 *             starts, and ends whose record was dropped)
 */
void assert_accounting(struct json_object *report);

/* Highest BPF program id in the kernel now: programs loaded later have
 * higher ids, so a test can tell its own run's programs from older ones. */
unsigned int last_prog_id(void);

/* Number of BPF programs named name with an id above min_id still loaded. */
int loaded_progs(const char *name, unsigned int min_id);

/* The same as tracer_finish, also returning what the tracer printed on
 * stderr after its readiness line (malloc'd) in *err. */
int tracer_finish_err(struct child *t, bool interrupt, struct json_object **report, char **err);

/* Reads the rest of a child's output (until it closes it) into a malloc'd
 * string. */
char *child_read_rest(struct child *c);

/* Waits until a file appears at path (created or renamed there: an
 * inotify event, no polling). Returns 0 or -1. */
int wait_file(const char *path);

/* Highest BPF map id in the kernel now (see last_prog_id). */
unsigned int last_map_id(void);

/* etltrace's BPF objects as seen at one moment: its programs (ids above a
 * floor, named as etltrace names them), the maps they use plus its rings,
 * and the links of those programs. */
struct bpf_snapshot {
	unsigned int progs[128], maps[128], links[512];
	int nprogs, nmaps, nlinks;
};

/* Takes the snapshot of the programs with ids above min_prog_id and the
 * rings with ids above min_map_id. Returns the number of objects found. */
int bpf_snapshot_take(unsigned int min_prog_id, unsigned int min_map_id, struct bpf_snapshot *s);

/* How many objects of s still exist, allowing the kernel's deferred frees
 * (an RCU grace period) a moment. */
int bpf_snapshot_alive(const struct bpf_snapshot *s);

/* Resident set of process pid in KiB: "VmRSS" or another /proc/PID/status
 * field ("RssAnon"); -1 if unreadable. */
long proc_status_kb(pid_t pid, const char *field);

/* One character: the state of process pid ('R', 'S', 'T', ...), or 0. */
char proc_state(pid_t pid);

/* Starts etltrace with exactly args (the binary is prepended; nothing is
 * added), its stdout on a pipe (*stdout_fd) and its stderr on t->out_fd,
 * and waits for its readiness line. Returns 0, or -1 if it exited first
 * (then *early_rc holds its exit status and *stdout_fd is closed). */
int tracer_spawn(char *const args[], struct child *t, int *stdout_fd, int *early_rc);

/* Reads one line from fd into buf (cap bytes, the newline dropped),
 * waiting at most timeout_ms for each byte. Returns its length, -1 at the
 * end of the output, -2 on timeout. */
int read_line_within(int fd, char *buf, size_t cap, int timeout_ms);

/* Reads until a line of fd contains needle, waiting at most timeout_ms in
 * all. Returns 0, -1 at the end of the output, -2 on timeout. */
int wait_line_within(int fd, const char *needle, int timeout_ms);

/* Open file descriptors of process pid (-1 if unreadable). */
int proc_fd_count(pid_t pid);

/* Milliseconds on CLOCK_MONOTONIC. */
long long now_ms(void);

/* A TCP port of 127.0.0.1 nobody listens on now, or -1. */
int free_port(void);

/* Lines (newlines) in s; 0 for NULL. */
int line_count(const char *s);

/* Runs etltrace with args and asserts that it exits code, with one line on
 * stderr holding needle, no report, and no etltrace program left loaded. */
void expect_refused(char *const args[], int code, const char *needle);

#endif /* ETLTRACE_HARNESS_H */
