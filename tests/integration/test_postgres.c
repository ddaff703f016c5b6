// SPDX-License-Identifier: MIT
/*
 * test_postgres.c - a real PostgreSQL 15 server (Debian's postgresql-15,
 * whose binary ships USDT probes) traced with --probe: the group starts its
 * own cluster in a temporary directory on a free port of 127.0.0.1, run as
 * the postgres user (the server refuses root), and stops it at the end.
 * Each connection is a new backend forked by the postmaster: etltrace -p
 * POSTMASTER follows them as children.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"
#define MS 1e-3

struct cluster {
	char dir[64];
	int port;
	pid_t postmaster;
};

static struct cluster pg;

/* Runs argv (a NULL-terminated list) as the postgres user, output to
 * log; returns its exit status. */
static int run_as_postgres(char *const argv[], const char *log)
{
	struct passwd *pw = getpwnam("postgres");
	pid_t p;
	int st;

	if (!pw)
		return -1;
	p = fork();
	if (p == 0) {
		int fd;

		if (setgid(pw->pw_gid) || setuid(pw->pw_uid))
			_exit(126);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("HOME", pg.dir, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int start_cluster(void **state)
{
	char data[128], log[128], opts[256], pidfile[160], line[64];
	FILE *f;

	if (harness_require_root(state))
		return -1;
	strcpy(pg.dir, "/tmp/etltrace-pg-XXXXXX");
	if (!mkdtemp(pg.dir) || chmod(pg.dir, 0755))
		return -1;
	snprintf(data, sizeof(data), "%s/data", pg.dir);
	snprintf(log, sizeof(log), "%s/server.log", pg.dir);
	pg.port = free_port();
	{
		struct passwd *pw = getpwnam("postgres");

		if (!pw || chown(pg.dir, pw->pw_uid, pw->pw_gid)) {
			fprintf(stderr, "test_postgres: no postgres user (install postgresql-15)\n");
			return -1;
		}
	}
	{
		char *initdb[] = { PG_BIN "/initdb", "-D", data, "-A", "trust", "-U", "postgres",
				   NULL };

		if (run_as_postgres(initdb, log)) {
			fprintf(stderr, "test_postgres: initdb failed (see %s)\n", log);
			return -1;
		}
	}
	/* No background workers that run transactions of their own: the
	 * trace follows every child of the postmaster. */
	snprintf(opts, sizeof(opts),
		 "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c autovacuum=off "
		 "-c max_logical_replication_workers=0",
		 pg.port, pg.dir);
	{
		char *start[] = { PG_BIN "/pg_ctl", "-D", data, "-o", opts, "-l", log, "-w", "start",
				  NULL };

		if (run_as_postgres(start, log)) {
			fprintf(stderr, "test_postgres: the server did not start (see %s)\n", log);
			return -1;
		}
	}
	snprintf(pidfile, sizeof(pidfile), "%s/postmaster.pid", data);
	f = fopen(pidfile, "r");
	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	pg.postmaster = (pid_t)atoi(line);
	return pg.postmaster > 0 ? 0 : -1;
}

static int stop_cluster(void **state)
{
	char data[128], log[128], cmd[256];
	char *stop[] = { PG_BIN "/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop", NULL };

	(void)state;
	snprintf(data, sizeof(data), "%s/data", pg.dir);
	snprintf(log, sizeof(log), "%s/log", pg.dir);
	if (pg.postmaster > 0)
		run_as_postgres(stop, log);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pg.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs the statements of sql, one query each, through psql. */
static void psql(const char *sql)
{
	char file[128], port[16], log[128];
	char *argv[] = { "/usr/bin/psql", "-X", "-q", "-h", "127.0.0.1", "-p", port, "-U",
			 "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-f", file, NULL };
	FILE *f;

	snprintf(file, sizeof(file), "%s/q.sql", pg.dir);
	snprintf(port, sizeof(port), "%d", pg.port);
	snprintf(log, sizeof(log), "%s/psql.log", pg.dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs(sql, f);
	fclose(f);
	chmod(file, 0644);
	assert_int_equal(run_as_postgres(argv, log), 0);
}

static void test_queries_are_counted_exactly_and_pg_sleep_is_50ms(void **state)
{
	char pid[16], *args[] = {
		"-p", pid,
		"--probe", "postgresql:query__start:query__done:arg1",
		"--probe", "postgresql:transaction__start:transaction__commit,transaction__abort:transaction",
		NULL,
	};
	struct child tracer;
	struct json_object *r, *op;
	int early;

	(void)state;
	snprintf(pid, sizeof(pid), "%d", (int)pg.postmaster);
	assert_int_equal(tracer_start(args, &tracer, &early), 0);
	psql("SELECT 1;\nSELECT 1;\nSELECT pg_sleep(0.05);\n"
	     "CREATE TABLE etl_t (x int);\n"
	     "BEGIN;\nINSERT INTO etl_t VALUES (1), (2), (3);\nSELECT pg_sleep(0.02);\nCOMMIT;\n"
	     "SELECT count(*) FROM etl_t;\nDROP TABLE etl_t;\n");
	psql("SELECT 1;\n");
	assert_int_equal(tracer_finish(&tracer, true, &r), 0);
	assert_non_null(r);
	assert_int_equal(jint(report_op(r, "SELECT 1;"), "count"), 3);
	op = report_op(r, "SELECT pg_sleep(0.05);");
	assert_non_null(op);
	assert_int_equal(jint(op, "count"), 1);
	assert_true(jnum(op, "min_time") >= 50 * MS);
	assert_true(jnum(op, "max_time") <= timing_bound(60, 600) * MS);
	assert_int_equal(jint(report_op(r, "CREATE TABLE etl_t (x int);"), "count"), 1);
	assert_int_equal(jint(report_op(r, "INSERT INTO etl_t VALUES (1), (2), (3);"), "count"), 1);
	assert_int_equal(jint(report_op(r, "SELECT count(*) FROM etl_t;"), "count"), 1);
	assert_int_equal(jint(report_op(r, "DROP TABLE etl_t;"), "count"), 1);
	assert_int_equal(jint(report_op(r, "BEGIN;"), "count"), 1);
	assert_int_equal(jint(report_op(r, "SELECT pg_sleep(0.02);"), "count"), 1);
	assert_int_equal(jint(report_op(r, "COMMIT;"), "count"), 1);
	/* Each statement outside BEGIN ... COMMIT is a transaction of its own
	 * (autocommit: 7), the block one (transaction__start fires inside
	 * BEGIN's query, its commit inside COMMIT's), and each backend runs
	 * one as it starts (2); the cluster runs no autovacuum or logical
	 * replication workers that would add theirs. */
	op = report_op(r, "transaction");
	assert_int_equal(jint(op, "count"), 10);
	assert_int_equal(jint(op, "unfinished"), 0);
	assert_true(jnum(op, "max_time") >= 20 * MS);
	assert_int_equal(counter(r, "abandoned"), 0);
	assert_accounting(r);
	assert_int_equal(counter(r, "name_mismatch"), 0);
	assert_int_equal(counter(r, "unmatched_end"), 0);
	assert_int_equal(counter(r, "names_unresolved"), 0);
	assert_int_equal(counter(r, "ringbuf_full"), 0);
	/* Two psql connections: two backends, each its own process. */
	assert_true(json_object_array_length(json_object_object_get(r, "processes")) >= 2);
	json_object_put(r);
}

static void test_a_probe_the_server_lacks_is_exit_4_listing_what_it_has(void **state)
{
	char pid[16], *args[] = { "-p", pid, "--probe", "postgresql:no__such:query__done", NULL };
	char *err = NULL;
	struct json_object *r;

	(void)state;
	snprintf(pid, sizeof(pid), "%d", (int)pg.postmaster);
	assert_int_equal(run_etltrace(args, &r, &err), 4);
	assert_null(r);
	assert_non_null(err);
	assert_non_null(strstr(err, "no probe postgresql:no__such"));
	assert_non_null(strstr(err, "its probes of provider postgresql: "));
	assert_non_null(strstr(err, "query__start"));
	free(err);
}

static void test_a_malformed_probe_spec_is_exit_2(void **state)
{
	char pid[16], *args[] = { "-p", pid, "--probe", "postgresql:query__start", NULL };
	char *err = NULL;
	struct json_object *r;

	(void)state;
	snprintf(pid, sizeof(pid), "%d", (int)pg.postmaster);
	assert_int_equal(run_etltrace(args, &r, &err), 2);
	assert_non_null(err);
	assert_non_null(strstr(err, "invalid --probe 'postgresql:query__start'"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queries_are_counted_exactly_and_pg_sleep_is_50ms),
		cmocka_unit_test(test_a_probe_the_server_lacks_is_exit_4_listing_what_it_has),
		cmocka_unit_test(test_a_malformed_probe_spec_is_exit_2),
	};

	return cmocka_run_group_tests_name("postgres", tests, start_cluster, stop_cluster);
}
