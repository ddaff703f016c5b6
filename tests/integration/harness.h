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

/* strict, or loose under ETLTRACE_TIMING=loose. */
double timing_bound(double strict, double loose);

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

/* Highest BPF program id in the kernel now: programs loaded later have
 * higher ids, so a test can tell its own run's programs from older ones. */
unsigned int last_prog_id(void);

/* Number of BPF programs named name with an id above min_id still loaded. */
int loaded_progs(const char *name, unsigned int min_id);

#endif /* ETLTRACE_HARNESS_H */
