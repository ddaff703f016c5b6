// SPDX-License-Identifier: MIT
/*
 * test_prometheus.c - a real Prometheus server (Debian's prometheus) scrapes
 * etltrace --metrics every second: the group starts its own server on a
 * free port of 127.0.0.1 with a temporary storage directory and a generated
 * configuration (which also loads contrib/prometheus/etltrace.rules.yml),
 * and stops it at the end, also after a failed test. What the server
 * stored, read back through its HTTP query API, must equal the ground truth
 * (the number of operations the traced program ran) and etltrace's own
 * report; the page itself must pass `promtool check metrics`, and every
 * contributed rule must evaluate without error against it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PROMETHEUS "/usr/bin/prometheus"
#define PROMTOOL "/usr/bin/promtool"
#define RULES "contrib/prometheus/etltrace.rules.yml"
#define DASHBOARD "contrib/grafana/etltrace-dashboard.json"
/* Operations the traced program runs (marked gate N 0). */
#define N_OPS 7

struct server {
	char dir[64];
	int port;         /* Prometheus's */
	int metrics_port; /* etltrace's --metrics */
	pid_t pid;
};

static struct server prom;

/* The tracer of the test running now, ended by the teardown if the test
 * failed with it still running (it holds the port the server scrapes). */
static struct child tracer;
static bool tracer_running;

static int start_tracer(char *const args[])
{
	int early;

	tracer_running = tracer_start(args, &tracer, &early) == 0;
	return tracer_running ? 0 : -1;
}

static int finish_tracer(struct json_object **report)
{
	tracer_running = false;
	if (target_release(&tracer))
		return -1;
	return tracer_finish(&tracer, false, report);
}

static int end_test(void **state)
{
	if (tracer_running) {
		struct json_object *r = NULL;

		tracer_running = false;
		tracer_finish(&tracer, true, &r);
		json_object_put(r);
	}
	return harness_disarm(state);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* A TCP connection to 127.0.0.1:port, its receive buffer set to rcvbuf
 * bytes first unless 0 (so that a client that never reads stops the
 * server's writes early); -1 on failure. */
static int connect_to(int port, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if ((rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf))) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Sends req (a whole HTTP/1.0 request) to 127.0.0.1:port and reads the
 * answer until the server closes the connection. Returns the status code
 * and the body (malloc'd) in *body, or -1 if nothing listens or the answer
 * is no HTTP.
 */
static int http_raw(int port, const char *req, char **body)
{
	struct timeval tv = { 5, 0 };
	char *buf = NULL, *sep;
	size_t len = 0, n = strlen(req);
	FILE *mem = NULL;
	int fd, status = -1;

	*body = NULL;
	fd = connect_to(port, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write(fd, req, n) != (ssize_t)n)
		goto cleanup;
	mem = open_memstream(&buf, &len);
	if (!mem)
		goto cleanup;
	for (;;) {
		char chunk[8192];
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		fwrite(chunk, 1, (size_t)r, mem);
	}
	fclose(mem);
	mem = NULL;
	if (!buf || sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || !(sep = strstr(buf, "\r\n\r\n"))) {
		status = -1;
		goto cleanup;
	}
	*body = strdup(sep + 4);
cleanup:
	if (mem)
		fclose(mem);
	free(buf);
	close(fd);
	return status;
}

/* GET path from 127.0.0.1:port (HTTP/1.0, so the answer is never chunked
 * and ends with the connection); see http_raw. */
static int http_get(int port, const char *path, char **body)
{
	char req[4096];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);

	*body = NULL;
	if (n >= (int)sizeof(req))
		return -1;
	return http_raw(port, req, body);
}

/* s percent-encoded for a query string, into out (cap bytes). */
static void url_encode(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

/* GET an API path of the server; its "data" member (a new reference) if the
 * answer is 200 with "status": "success", else the test fails. */
static struct json_object *api_get(const char *path)
{
	struct json_object *doc, *status, *data = NULL;
	char *body = NULL;
	int code = http_get(prom.port, path, &body);

	if (code != 200)
		fail_msg("prometheus: GET %s: status %d: %s", path, code, body ? body : "");
	doc = json_tokener_parse(body);
	assert_non_null(doc);
	if (!json_object_object_get_ex(doc, "status", &status) ||
	    strcmp(json_object_get_string(status), "success") ||
	    !json_object_object_get_ex(doc, "data", &data))
		fail_msg("prometheus: GET %s: %s", path, body);
	json_object_get(data);
	json_object_put(doc);
	free(body);
	return data;
}

/* The result array of an instant query of expr (owned by *data, which the
 * caller puts). */
static struct json_object *query(const char *expr, struct json_object **data)
{
	char path[2048], enc[1800];
	struct json_object *result;

	url_encode(expr, enc, sizeof(enc));
	snprintf(path, sizeof(path), "/api/v1/query?query=%s", enc);
	*data = api_get(path);
	assert_true(json_object_object_get_ex(*data, "result", &result));
	assert_true(json_object_is_type(result, json_type_array));
	return result;
}

/* The value of the one sample an instant query of expr returns; fails the
 * test unless there is exactly one. */
static double query_one(const char *expr)
{
	struct json_object *data, *result = query(expr, &data), *value;
	double v;

	if (json_object_array_length(result) != 1)
		fail_msg("query %s: %zu samples, 1 expected: %s", expr,
			 json_object_array_length(result), json_object_to_json_string(result));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(result, 0), "value", &value));
	v = strtod(json_object_get_string(json_object_array_get_idx(value, 1)), NULL);
	json_object_put(data);
	return v;
}

/* A label of the first sample of a query result, or NULL. */
static const char *label_of(struct json_object *result, const char *label)
{
	struct json_object *metric, *v;

	if (!json_object_object_get_ex(json_object_array_get_idx(result, 0), "metric", &metric) ||
	    !json_object_object_get_ex(metric, label, &v))
		return NULL;
	return json_object_get_string(v);
}

static int write_config(const char *path, const char *rules)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f,
		"global:\n"
		"  scrape_interval: 1s\n"
		"  evaluation_interval: 1s\n"
		"rule_files:\n"
		"  - %s\n"
		"scrape_configs:\n"
		"  - job_name: etltrace\n"
		"    scrape_timeout: 1s\n"
		"    static_configs:\n"
		"      - targets: ['127.0.0.1:%d']\n",
		rules, prom.metrics_port);
	return fclose(f) ? -1 : 0;
}

static int stop_server(void **state);

static int start_server(void **state)
{
	char config[128], data[128], log[128], listen[64], rules[PATH_MAX];
	char *argv[] = { PROMETHEUS, NULL, NULL, NULL, "--log.level=warn", NULL };
	char a_config[160], a_data[160];
	double deadline;

	if (harness_require_root(state))
		return -1;
	if (access(PROMETHEUS, X_OK) || access(PROMTOOL, X_OK)) {
		fprintf(stderr, "test_prometheus: no %s or %s (install Debian's prometheus: "
				"make deps-test)\n", PROMETHEUS, PROMTOOL);
		return -1;
	}
	if (!realpath(RULES, rules)) {
		fprintf(stderr, "test_prometheus: no %s (run from the source tree)\n", RULES);
		return -1;
	}
	strcpy(prom.dir, "/tmp/etltrace-prom-XXXXXX");
	if (!mkdtemp(prom.dir))
		return -1;
	prom.port = free_port();
	prom.metrics_port = free_port();
	if (prom.port < 0 || prom.metrics_port < 0 || prom.port == prom.metrics_port)
		goto fail;
	snprintf(config, sizeof(config), "%s/prometheus.yml", prom.dir);
	snprintf(data, sizeof(data), "%s/data", prom.dir);
	snprintf(log, sizeof(log), "%s/prometheus.log", prom.dir);
	if (write_config(config, rules))
		goto fail;
	snprintf(a_config, sizeof(a_config), "--config.file=%s", config);
	snprintf(a_data, sizeof(a_data), "--storage.tsdb.path=%s", data);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", prom.port);
	argv[1] = a_config;
	argv[2] = a_data;
	argv[3] = listen;
	prom.pid = fork();
	if (prom.pid < 0)
		goto fail;
	if (prom.pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		/* Never outlives the test, even one killed by its timeout. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	for (deadline = now_s() + timing_bound(10, 60); now_s() < deadline; sleep_ms(50)) {
		char *body = NULL;
		int code = http_get(prom.port, "/-/ready", &body);

		free(body);
		if (code == 200)
			return 0;
		if (waitpid(prom.pid, NULL, WNOHANG) == prom.pid) {
			prom.pid = 0;
			break;
		}
	}
	fprintf(stderr, "test_prometheus: prometheus did not get ready (see %s)\n", log);
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "cat %s >&2", log);
		if (system(cmd))
			(void)0;
	}
fail:
	stop_server(state);
	return -1;
}

static int stop_server(void **state)
{
	char cmd[128];
	int rc = 0;

	(void)state;
	if (prom.pid > 0) {
		kill(prom.pid, SIGTERM);
		for (int i = 0; i < 100 && waitpid(prom.pid, NULL, WNOHANG) != prom.pid; i++)
			sleep_ms(50);
		if (!kill(prom.pid, 0)) {
			fprintf(stderr, "test_prometheus: prometheus ignored SIGTERM for 5 s\n");
			kill(prom.pid, SIGKILL);
			waitpid(prom.pid, NULL, 0);
			rc = -1;
		}
		prom.pid = 0;
	}
	if (prom.dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", prom.dir);
		if (system(cmd))
			rc = -1;
		prom.dir[0] = '\0';
	}
	return rc;
}

/* Polls etltrace's own /report until operation op counts n (the program
 * has run them all and etltrace has read their records). */
static void wait_report_count(const char *op, long long n)
{
	double deadline = now_s() + timing_bound(10, 60);
	long long seen = -1;

	while (now_s() < deadline) {
		char *body = NULL;
		struct json_object *r = NULL, *o;

		if (http_get(prom.metrics_port, "/report", &body) == 200 &&
		    (r = json_tokener_parse(body)) && (o = report_op(r, op)))
			seen = jint(o, "count");
		json_object_put(r);
		free(body);
		if (seen == n)
			return;
		sleep_ms(20);
	}
	fail_msg("/report: %s counted %lld, %lld expected", op, seen, n);
}

/*
 * Waits until the server holds a sample of expr scraped at or after
 * `after` (seconds since the epoch) and returns its value: a range query
 * returns each sample with its scrape's own timestamp.
 */
static double scraped_after(const char *expr, double after)
{
	double deadline = now_s() + timing_bound(15, 90);
	char range[512];

	snprintf(range, sizeof(range), "%s[1m]", expr);
	while (now_s() < deadline) {
		struct json_object *data, *result = query(range, &data), *values;
		size_t n;

		if (json_object_array_length(result) > 1)
			fail_msg("%s: more than one series: %s", expr, json_object_to_json_string(result));
		if (json_object_array_length(result) == 1 &&
		    json_object_object_get_ex(json_object_array_get_idx(result, 0), "values", &values) &&
		    (n = json_object_array_length(values)) > 0) {
			struct json_object *last = json_object_array_get_idx(values, n - 1);

			if (json_object_get_double(json_object_array_get_idx(last, 0)) >= after) {
				double v = strtod(json_object_get_string(
							  json_object_array_get_idx(last, 1)), NULL);

				json_object_put(data);
				return v;
			}
		}
		json_object_put(data);
		sleep_ms(100);
	}
	fail_msg("prometheus stored no sample of %s scraped after etltrace counted every operation",
		 expr);
	return -1;
}

static void test_prometheus_stores_the_exact_counts_of_the_report(void **state)
{
	char addr[32], n[16], *args[] = { "--metrics", addr, "--", (char *)build_path("tests/progs/marked"),
					 "gate", n, "0", NULL };
	struct json_object *data, *result, *r;
	double counted_at;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", prom.metrics_port);
	snprintf(n, sizeof(n), "%d", N_OPS);
	/* The program runs N_OPS before_op, then waits on its stdin (the
	 * tracer's) until released: etltrace serves a fixed count meanwhile. */
	assert_int_equal(start_tracer(args), 0);
	wait_report_count("before_op", N_OPS);
	counted_at = now_s();

	/* The counter, the histogram's count and its +Inf bucket, from a scrape
	 * made once every operation was counted: exactly N_OPS each. */
	assert_int_equal((long long)scraped_after(
				 "etltrace_operations_total{job=\"etltrace\",operation=\"before_op\"}",
				 counted_at), N_OPS);
	assert_int_equal((long long)query_one("etltrace_operation_duration_seconds_count"
					      "{operation=\"before_op\"}"), N_OPS);
	assert_int_equal((long long)query_one("etltrace_operation_duration_seconds_bucket"
					      "{operation=\"before_op\",le=\"+Inf\"}"), N_OPS);
	assert_int_equal((long long)query_one("etltrace_operation_memory_delta_bytes_count"
					      "{operation=\"before_op\"}"), N_OPS);
	assert_int_equal((long long)query_one("etltrace_operations_unfinished_total"
					      "{operation=\"before_op\"}"), 0);
	/* An operation doing nothing lasts far below 100 ms: every bucket from
	 * 0.1 s up holds all of them, and none holds more. */
	result = query("etltrace_operation_duration_seconds_bucket{operation=\"before_op\"}", &data);
	assert_true(json_object_array_length(result) >= 5);
	for (size_t i = 0; i < json_object_array_length(result); i++) {
		struct json_object *s = json_object_array_get_idx(result, i), *m, *le, *v;
		double bound, count;

		assert_true(json_object_object_get_ex(s, "metric", &m));
		assert_true(json_object_object_get_ex(m, "le", &le));
		assert_true(json_object_object_get_ex(s, "value", &v));
		bound = strtod(json_object_get_string(le), NULL); /* "+Inf" is inf */
		count = strtod(json_object_get_string(json_object_array_get_idx(v, 1)), NULL);
		if (bound >= 0.1 && (long long)count != N_OPS)
			fail_msg("bucket le=%s holds %.0f, %d expected", json_object_get_string(le),
				 count, N_OPS);
		assert_true(count <= N_OPS);
	}
	json_object_put(data);

	/* Its command label, the tracer's health, the scrape itself. */
	result = query("etltrace_operations_total{operation=\"before_op\"}", &data);
	assert_non_null(label_of(result, "command"));
	assert_string_equal(label_of(result, "command"), "marked");
	json_object_put(data);
	result = query("etltrace_build_info", &data);
	assert_int_equal(json_object_array_length(result), 1);
	assert_non_null(label_of(result, "version"));
	assert_true(strlen(label_of(result, "version")) > 0);
	assert_non_null(label_of(result, "attach"));
	json_object_put(data);
	assert_int_equal((long long)query_one("etltrace_ringbuf_full_total"), 0);
	assert_int_equal((long long)query_one("etltrace_starts_total"), N_OPS);
	assert_int_equal((long long)query_one("etltrace_traced_processes"), 1);
	assert_int_equal((long long)query_one("up{job=\"etltrace\"}"), 1);

	/* Released, the program ends; etltrace's report says what Prometheus
	 * stored. */
	assert_int_equal(finish_tracer(&r), 0);
	assert_non_null(r);
	assert_int_equal(jint(report_op(r, "before_op"), "count"), N_OPS);
	assert_int_equal(counter(r, "starts"), N_OPS);
	assert_int_equal(counter(r, "ringbuf_full"), 0);
	json_object_put(r);
}

/* Runs PROMTOOL check metrics with page on its stdin; returns its exit
 * status, its output in *out (malloc'd). */
static int promtool_check_metrics(const char *page, char **out)
{
	int in[2], res[2], st;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	pid_t p;

	if (pipe2(in, O_CLOEXEC) || pipe2(res, O_CLOEXEC))
		return -1;
	p = fork();
	if (p == 0) {
		dup2(in[0], 0);
		dup2(res[1], 1);
		dup2(res[1], 2);
		execl(PROMTOOL, PROMTOOL, "check", "metrics", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	if (write(in[1], page, strlen(page)) != (ssize_t)strlen(page))
		fprintf(stderr, "promtool: short write\n");
	close(in[1]);
	mem = open_memstream(&buf, &len);
	for (;;) {
		char chunk[4096];
		ssize_t r = read(res[0], chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		fwrite(chunk, 1, (size_t)r, mem);
	}
	fclose(mem);
	close(res[0]);
	*out = buf;
	if (p < 0 || waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Metric names a page exports: every sample's name, and for each "# TYPE"
 * line the series its type implies (a histogram's _bucket, _sum and
 * _count, a summary's _sum and _count), whether or not it has samples now.
 * Returns a newline-separated, newline-framed list (malloc'd). */
static char *exported_names(const char *page)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	fputc('\n', mem);
	for (const char *l = page; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		char name[128], type[32];

		if (sscanf(l, "# TYPE %127s %31s", name, type) == 2) {
			if (!strcmp(type, "histogram"))
				fprintf(mem, "%s_bucket\n%s_sum\n%s_count\n", name, name, name);
			else if (!strcmp(type, "summary"))
				fprintf(mem, "%s_sum\n%s_count\n", name, name);
			else
				fprintf(mem, "%s\n", name);
		} else if (*l != '#' && *l != '\n') {
			fprintf(mem, "%.*s\n", (int)strcspn(l, "{ \n"), l);
		}
	}
	fclose(mem);
	return buf;
}

/* Fails the test if text (a PromQL expression of `where`) names an
 * etltrace_ metric the page does not export; returns how many it names. */
static int check_names(const char *text, const char *names, const char *where)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, "etltrace_"));) {
		size_t k = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:");
		char framed[160];

		/* A longer identifier that merely contains it is no metric name. */
		if (p > text && (strchr("_:", p[-1]) || (p[-1] >= 'a' && p[-1] <= 'z') ||
				 (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9'))) {
			p += k;
			continue;
		}
		snprintf(framed, sizeof(framed), "\n%.*s\n", (int)k, p);
		if (!strstr(names, framed))
			fail_msg("%s uses %.*s, which etltrace does not export", where, (int)k, p);
		n++;
		p += k;
	}
	return n;
}

/* check_names on every "expr" and "query" string anywhere in a JSON
 * document (a Grafana dashboard's panel targets and template variables). */
static int check_dashboard(struct json_object *o, const char *key, const char *names)
{
	int n = 0;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, k, v)
			n += check_dashboard(v, k, names);
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			n += check_dashboard(json_object_array_get_idx(o, i), key, names);
		break;
	case json_type_string:
		if (key && (!strcmp(key, "expr") || !strcmp(key, "query")))
			n += check_names(json_object_get_string(o), names, DASHBOARD);
		break;
	default:
		break;
	}
	return n;
}

static void test_the_page_passes_promtool_and_every_rule_evaluates(void **state)
{
	char addr[32], *args[] = { "--metrics", addr, "--", (char *)build_path("tests/progs/marked"),
				   "gate", "3", "0", NULL };
	struct json_object *data, *groups, *r, *dashboard;
	char *page = NULL, *out = NULL, *names;
	double deadline;
	int rules = 0, unknown, used, in_rules = 0;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", prom.metrics_port);
	assert_int_equal(start_tracer(args), 0);
	wait_report_count("before_op", 3);
	assert_int_equal(http_get(prom.metrics_port, "/metrics", &page), 200);
	assert_non_null(strstr(page, "etltrace_operations_total{"));
	if (promtool_check_metrics(page, &out) != 0)
		fail_msg("promtool check metrics failed:\n%s", out ? out : "");
	free(out);
	names = exported_names(page);
	free(page);
	dashboard = json_object_from_file(DASHBOARD);
	if (!dashboard)
		fail_msg("%s: not JSON: %s", DASHBOARD, json_util_get_last_err());
	used = check_dashboard(dashboard, NULL, names);
	json_object_put(dashboard);
	assert_true(used >= 20);
	fprintf(stderr, "  the dashboard's queries name %d metrics, each exported\n", used);

	/* Every rule of contrib/ evaluated against what the server scraped:
	 * none in error (a query Prometheus refuses, a many-to-many match). */
	scraped_after("etltrace_operations_total{operation=\"before_op\"}", now_s());
	deadline = now_s() + timing_bound(10, 60);
	do {
		unknown = 0;
		rules = 0;
		in_rules = 0;
		data = api_get("/api/v1/rules");
		assert_true(json_object_object_get_ex(data, "groups", &groups));
		for (size_t g = 0; g < json_object_array_length(groups); g++) {
			struct json_object *list;

			assert_true(json_object_object_get_ex(json_object_array_get_idx(groups, g),
							      "rules", &list));
			for (size_t i = 0; i < json_object_array_length(list); i++) {
				struct json_object *rule = json_object_array_get_idx(list, i), *h, *n,
						   *e, *q;
				const char *health;

				assert_true(json_object_object_get_ex(rule, "health", &h));
				assert_true(json_object_object_get_ex(rule, "name", &n));
				health = json_object_get_string(h);
				if (json_object_object_get_ex(rule, "query", &q))
					in_rules += check_names(json_object_get_string(q), names, RULES);
				rules++;
				if (!strcmp(health, "unknown"))
					unknown++;
				else if (strcmp(health, "ok"))
					fail_msg("rule %s: %s: %s", json_object_get_string(n), health,
						 json_object_object_get_ex(rule, "lastError", &e) ?
							 json_object_get_string(e) : "");
			}
		}
		json_object_put(data);
		if (unknown)
			sleep_ms(100);
	} while (unknown && now_s() < deadline);
	assert_int_equal(unknown, 0);
	assert_true(rules >= 10);
	assert_true(in_rules >= rules);
	fprintf(stderr, "  %d rules evaluated, none in error; their queries name %d metrics, each "
			"exported\n", rules, in_rules);
	free(names);

	assert_int_equal(finish_tracer(&r), 0);
	json_object_put(r);
}

/* Polls etltrace's /report until the operations' counts add up to n;
 * returns that report. */
static struct json_object *wait_report_total(long long n)
{
	double deadline = now_s() + timing_bound(10, 60);
	long long seen = -1;

	while (now_s() < deadline) {
		char *body = NULL;
		struct json_object *r = NULL;

		if (http_get(prom.metrics_port, "/report", &body) == 200 &&
		    (r = json_tokener_parse(body)) && json_object_object_get(r, "operations"))
			seen = ops_sum(r, "count");
		free(body);
		if (seen == n)
			return r;
		json_object_put(r);
		sleep_ms(20);
	}
	fail_msg("/report: %lld operations counted, %lld expected", seen, n);
	return NULL;
}

static void test_hostile_names_are_scraped_as_the_report_names_them(void **state)
{
	char addr[32], *args[] = { "--metrics", addr, "--", (char *)build_path("tests/progs/marked"),
				   "hostile", "wait", NULL };
	/* What the program sends, as a label value must carry it (the report
	 * names the two that are no valid UTF-8 text alike, below). */
	static const char *const exact[] = { "quote\"name", "back\\slash", "new\nline", "tab\there" };
	struct json_object *data, *result, *report, *ops, *r;
	char *page = NULL, *out = NULL;
	double counted_at;
	size_t n;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", prom.metrics_port);
	assert_int_equal(start_tracer(args), 0);
	report = wait_report_total(6);
	counted_at = now_s();
	assert_int_equal(http_get(prom.metrics_port, "/metrics", &page), 200);
	if (promtool_check_metrics(page, &out) != 0)
		fail_msg("promtool check metrics failed:\n%s", out ? out : "");
	free(out);
	free(page);
	/* A page the server could not parse fails the whole scrape (up 0, no
	 * sample): one stored after the six operations says it parsed. */
	assert_int_equal((long long)scraped_after("etltrace_starts_total", counted_at), 6);
	assert_int_equal((long long)query_one("up{job=\"etltrace\"}"), 1);
	result = query("etltrace_operations_total", &data);
	n = json_object_array_length(result);
	assert_true(json_object_object_get_ex(report, "operations", &ops));
	assert_int_equal(n, json_object_object_length(ops));
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(result, i), *m, *op, *v;
		const char *name;

		assert_true(json_object_object_get_ex(s, "metric", &m));
		assert_true(json_object_object_get_ex(m, "operation", &op));
		name = json_object_get_string(op);
		if (!json_object_object_get(ops, name))
			fail_msg("operation label %s is no operation of the report",
				 json_object_to_json_string(op));
		assert_true(json_object_object_get_ex(s, "value", &v));
		assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)), "1");
	}
	for (size_t k = 0; k < sizeof(exact) / sizeof(exact[0]); k++) {
		bool found = false;

		for (size_t i = 0; i < n; i++) {
			struct json_object *m, *op;

			json_object_object_get_ex(json_object_array_get_idx(result, i), "metric", &m);
			json_object_object_get_ex(m, "operation", &op);
			found |= !strcmp(json_object_get_string(op), exact[k]);
		}
		if (!found)
			fail_msg("no series of operation %s", exact[k]);
	}
	json_object_put(data);
	json_object_put(report);
	assert_int_equal(finish_tracer(&r), 0);
	json_object_put(r);
}

/* "bad\xff" once and "bad\xfe" twice are both "bad\uFFFD" as label values:
 * two series, apart, each with its own count, or Prometheus would drop
 * one's samples as a duplicate. */
static void test_names_alike_in_utf8_are_two_series(void **state)
{
	char addr[32], *args[] = { "--metrics", addr, "--", (char *)build_path("tests/progs/marked"),
				   "alike", NULL };
	struct json_object *report, *r;
	long long plain, second;
	double counted_at;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", prom.metrics_port);
	assert_int_equal(start_tracer(args), 0);
	report = wait_report_total(3);
	counted_at = now_s();
	assert_int_equal((long long)scraped_after("etltrace_starts_total", counted_at), 3);
	assert_int_equal((long long)query_one("count(etltrace_operations_total)"), 2);
	/* PromQL refuses U+FFFD written as itself ("invalid UTF-8 rune"): a
	 * query names it \ufffd. Which of the two gets "#2" follows the
	 * order of the series set, not fixed here. */
	plain = (long long)query_one("etltrace_operations_total{operation=\"bad\\ufffd\"}");
	second = (long long)query_one("etltrace_operations_total{operation=\"bad\\ufffd#2\"}");
	assert_true((plain == 1 && second == 2) || (plain == 2 && second == 1));
	assert_int_equal((long long)query_one(plain == 2 ?
		"etltrace_operation_duration_seconds_count{operation=\"bad\\ufffd\"}" :
		"etltrace_operation_duration_seconds_count{operation=\"bad\\ufffd#2\"}"), 2);
	json_object_put(report);
	assert_int_equal(finish_tracer(&r), 0);
	json_object_put(r);
}

/* --- clients that hang ------------------------------------------------- */

/* What the traced program runs in test_hung_clients_never_stall_tracing
 * (workers churn): CHURN_SECONDS of CHURN_RATE "churn_op" per second from
 * a new thread every 10 ms, CHURN_SECONDS * CHURN_RATE in all. */
#define CHURN_SECONDS 4
#define CHURN_RATE 20000

/* The value of the first sample of page whose line starts with name and
 * holds label (e.g. operation="churn_op"); -1 if there is none. */
static long long sample_of(const char *page, const char *name, const char *label)
{
	for (const char *l = page; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *end = strchr(l, '\n'), *v;

		if (strncmp(l, name, strlen(name)) || !(v = strstr(l, label)) || (end && v > end))
			continue;
		v = strstr(v, "} ");
		return v && (!end || v < end) ? strtoll(v + 2, NULL, 10) : -1;
	}
	return -1;
}

/* Bytes the server's end of a loopback connection (server port, client
 * port) holds that the client has not taken (tx_queue in /proc/net/tcp);
 * -1 if no such connection. */
static long server_unsent(int port, int client_port)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];
	long q = -1;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned int lport, rport;
		unsigned long tx;

		if (sscanf(line, " %*d: %*x:%x %*x:%x %*x %lx:", &lport, &rport, &tx) == 3 &&
		    (int)lport == port && (int)rport == client_port)
			q = (long)tx;
	}
	if (f)
		fclose(f);
	return q;
}

/* The local port of a connected socket. */
static int local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	return getsockname(fd, (struct sockaddr *)&a, &len) ? -1 : ntohs(a.sin_port);
}

/*
 * The endpoint is served from etltrace's own event loop, the one that reads
 * the ring buffer: a client must never hold it. While a traced program runs
 * CHURN_SECONDS * CHURN_RATE operations, two clients hang for the whole
 * trace (about 5 s: the "hangs for 30 s" would be cut at 10 s, when
 * etltrace drops a connection without traffic, and the test would then
 * no longer see them held):
 *   - one sent "GET /metr" and nothing more (headers never end);
 *   - one, with a tiny receive buffer, pipelined thousands of requests for
 *     /report and never reads: the server's writes to it stay blocked, which
 *     /proc/net/tcp shows (bytes the server's end holds unsent).
 * Meanwhile a normal client asks for /metrics every 100 ms: each answer must
 * come within 1 s, and its counts must grow while the program runs (records
 * are read during the hang, not after it). A loop blocked on either client
 * fails both. At the end the counts are exact, no record was lost, and the
 * endpoint answered only its own paths.
 */
static void test_hung_clients_never_stall_tracing(void **state)
{
	char addr[32], secs[8], rate[16], *args[] = { "--metrics", addr, "--",
					   (char *)build_path("tests/progs/workers"), "-w", "churn",
					   secs, rate, NULL };
	static const char pipelined[] = "GET /report HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	/* Requests the endpoint must refuse, and how. */
	static const struct {
		const char *req;
		int status;
	} refused[] = {
		{ "GET /etc/passwd HTTP/1.0\r\n\r\n", 404 },
		{ "GET /../report HTTP/1.0\r\n\r\n", 404 },
		{ "GET /../../../../etc/passwd HTTP/1.0\r\n\r\n", 404 },
		{ "GET /%2e%2e/report HTTP/1.0\r\n\r\n", 404 },
		{ "GET /report/ HTTP/1.0\r\n\r\n", 404 },
		{ "GET /metrics.txt HTTP/1.0\r\n\r\n", 404 },
		{ "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", 405 },
		{ "POST /report HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", 405 },
		{ "PUT /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", 405 },
		{ "DELETE /report HTTP/1.0\r\n\r\n", 405 },
	};
	const long long total = (long long)CHURN_SECONDS * CHURN_RATE;
	const long long bound_ms = (long long)timing_bound(1000, 10000);
	long long t0, worst = 0, seen = 0, midway = 0, last = 0;
	int partial, jam, polls = 0, code;
	long sent = 0, unsent;
	char *body = NULL, peek;
	struct json_object *r;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", prom.metrics_port);
	snprintf(secs, sizeof(secs), "%d", CHURN_SECONDS);
	snprintf(rate, sizeof(rate), "%d", CHURN_RATE);
	assert_int_equal(start_tracer(args), 0);

	partial = connect_to(prom.metrics_port, 0);
	assert_true(partial >= 0);
	assert_int_equal(write(partial, "GET /metr", 9), 9);
	jam = connect_to(prom.metrics_port, 4096);
	assert_true(jam >= 0);
	assert_int_equal(fcntl(jam, F_SETFL, O_NONBLOCK), 0);
	/* Until the server stops reading (its answers are stuck) or 20000. */
	while (sent < 20000) {
		ssize_t w = write(jam, pipelined, sizeof(pipelined) - 1);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		assert_int_equal(w, sizeof(pipelined) - 1);
		sent++;
	}
	assert_true(sent > 0);

	/* The program runs; a normal client reads /metrics throughout. */
	assert_int_equal(target_send_line(&tracer), 0);
	t0 = now_ms();
	while (seen < total && now_ms() < t0 + (CHURN_SECONDS + 5) * 1000LL) {
		long long t = now_ms(), took;

		code = http_get(prom.metrics_port, "/metrics", &body);
		took = now_ms() - t;
		if (code != 200)
			fail_msg("/metrics during the hang: status %d after %lld ms", code, took);
		if (took > bound_ms)
			fail_msg("/metrics took %lld ms during the hang (at most %lld): the loop waited "
				 "on a client", took, bound_ms);
		worst = took > worst ? took : worst;
		seen = sample_of(body, "etltrace_operations_total{", "operation=\"churn_op\"");
		free(body);
		if (seen > last && seen < total)
			midway++;
		last = seen > last ? seen : last;
		polls++;
		sleep_ms(100);
	}
	if (seen != total)
		fail_msg("/metrics counted %lld churn_op, %lld expected", seen, total);
	/* About 40 polls while it ran: the count grew at most of them. */
	if (midway < CHURN_SECONDS * 2)
		fail_msg("the count grew at only %lld of %d polls while the program ran", midway,
			 polls);

	/* Only its paths, even while it hangs. */
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		code = http_raw(prom.metrics_port, refused[i].req, &body);
		if (code != refused[i].status)
			fail_msg("%.*s: status %d, %d expected", (int)strcspn(refused[i].req, "\r"),
				 refused[i].req, code, refused[i].status);
		assert_null(strstr(body ? body : "", "root:"));
		assert_null(strstr(body ? body : "", "\"operations\""));
		free(body);
	}
	/* Query strings are ignored: the page itself. */
	assert_int_equal(http_get(prom.metrics_port, "/metrics?x", &body), 200);
	assert_non_null(strstr(body, "etltrace_operations_total{"));
	free(body);

	/* Both clients were still held when the trace ended: the first got
	 * nothing and its connection is open, the server still holds unsent
	 * answers for the second. */
	errno = 0;
	assert_int_equal(recv(partial, &peek, 1, MSG_PEEK | MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	unsent = server_unsent(prom.metrics_port, local_port(jam));
	if (unsent <= 0)
		fail_msg("the server's end of the unread connection holds %ld bytes: it is not "
			 "jammed", unsent);
	fprintf(stderr, "  %d /metrics during the hang, slowest %lld ms; %ld requests pipelined, "
			"%ld bytes of answers held unread\n", polls, worst, sent, unsent);

	assert_int_equal(finish_tracer(&r), 0);
	assert_non_null(r);
	assert_int_equal(jint(report_op(r, "churn_op"), "count"), total);
	assert_int_equal(jint(report_op(r, "churn_op"), "unfinished"), 0);
	assert_int_equal(counter(r, "starts"), total);
	assert_int_equal(counter(r, "ringbuf_full"), 0);
	assert_accounting(r);
	json_object_put(r);
	close(partial);
	close(jam);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prometheus_stores_the_exact_counts_of_the_report,
						harness_arm, end_test),
		cmocka_unit_test_setup_teardown(test_the_page_passes_promtool_and_every_rule_evaluates,
						harness_arm, end_test),
		cmocka_unit_test_setup_teardown(test_hostile_names_are_scraped_as_the_report_names_them,
						harness_arm, end_test),
		cmocka_unit_test_setup_teardown(test_names_alike_in_utf8_are_two_series,
						harness_arm, end_test),
		cmocka_unit_test_setup_teardown(test_hung_clients_never_stall_tracing,
						harness_arm, end_test),
	};

	return cmocka_run_group_tests_name("prometheus", tests, start_server, stop_server);
}
