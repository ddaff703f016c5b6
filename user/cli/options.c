// SPDX-License-Identifier: MIT
/* options.c - argp command lines of etltrace and of `etltrace compare`. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/netaddr.h"
#include "cli/options.h"

const char *argp_program_version = "etltrace 0.1";
const char *argp_program_bug_address = "the etltrace issue tracker";

#define EXIT_STATUS_DOC \
	"EXIT STATUS:\n" \
	"  0  success          1  runtime failure        2  usage error\n" \
	"  3  no such process  4  no etl markers         5  insufficient privileges\n" \
	"  6  kernel lacks BTF/uprobes/BPF               7  output not written\n" \
	"  8  bad --config file, or unusable baseline/report file\n" \
	"  9  an operation regressed against --baseline (avg_time > factor x baseline)\n" \
	"  With -- CMD, the command's own exit status once tracing succeeded (9 only\n" \
	"  when it exited 0).\n"

static const char doc[] =
	"Trace the USDT-marked operations (etl:op_start / etl:op_end) of running "
	"processes with BPF and report per-operation time and memory statistics, "
	"latency percentiles, suggestions, and regressions against a baseline."
	"\v"
	"CONFIGURATION FILE (--config): a JSON object whose MONITORING object takes\n"
	"  ENABLE_PROFILING (true; false: trace nothing, run CMD untraced),\n"
	"  ENABLE_METRICS (true; false: no metrics endpoint), METRICS_ADDRESS (none),\n"
	"  PERFORMANCE_THRESHOLD_SECONDS (2.0), MEMORY_THRESHOLD_MB (100.0),\n"
	"  BATCH_PROCESSING_SECONDS (2.0), MEMORY_CLEANUP_MB (50.0),\n"
	"  PARALLEL_WAIT_FRACTION (0.5), TRANSIENT_MEMORY_MB (50.0),\n"
	"  PEAK_TO_NET_RATIO (2.0), MAJOR_FAULTS_PER_OPERATION (100),\n"
	"  REGRESSION_FACTOR (1.5), MAX_OPERATIONS (10000). Flags override the file.\n"
	"\n"
	"NUMBERS: -p PID, --max-operations N and --ringbuf-mb MB take whole numbers\n"
	"  in decimal digits (no sign, spaces or leading zeros); the other numbers\n"
	"  are decimal, as 2, 0.5 or 1e-3.\n"
	"\n"
	"OUTPUT FILES (-o, --save-baseline, --log=FILE): regular files only (not a\n"
	"  FIFO, device, socket or symbolic link), in a directory that exists and\n"
	"  can be written, checked before tracing. A symbolic link among the\n"
	"  directories is followed only if root or the user running etltrace owns\n"
	"  it, or no other user can write its directory. A replaced report keeps\n"
	"  the old file's permissions, less set-id, sticky and world-write bits.\n"
	"\n"
	"EXAMPLES:\n"
	"  etltrace -p 1234                 trace PID 1234 until Ctrl-C or its exit\n"
	"  etltrace -p 1234 -p 1240 -d 30   trace two processes for 30 seconds\n"
	"  etltrace --format json -o r.json -- ./etl_job --rows 100000\n"
	"                                   run a command, traced from its start\n"
	"  etltrace --log --save-baseline base.json -- ./etl_job\n"
	"                                   log each operation live, keep the report\n"
	"  etltrace --baseline base.json -- ./etl_job\n"
	"                                   exit 9 if an operation got 1.5x slower\n"
	"  etltrace -p 1234 -i 10 --format json\n"
	"                                   a JSON line per 10 s interval (NDJSON)\n"
	"  etltrace -b /usr/local/bin/etl_job --metrics 9464\n"
	"                                   every run of etl_job, for Prometheus\n"
	"  etltrace --tree --timeline t.json --html r.html -- ./etl_job\n"
	"                                   the tree in text, a timeline, an HTML page\n"
	"  etltrace --format folded -- ./etl_job | flamegraph > flame.svg\n"
	"                                   a flame graph (inferno's flamegraph)\n"
	"  etltrace -b /usr/lib/postgresql/15/bin/postgres \\\n"
	"           --probe postgresql:query__start:query__done:arg1\n"
	"                                   every query of a PostgreSQL server, by text\n"
	"  etltrace compare base.json current.json\n"
	"                                   compare two saved JSON reports (no tracing)\n"
	"\n" EXIT_STATUS_DOC;

static const char args_doc[] = "-p PID [-p PID...] | -b PATH [-b PATH...] | -- CMD [ARGS...]\n"
			       "compare BASELINE.json CURRENT.json";

static const char compare_doc[] =
	"Compare two JSON reports saved by etltrace (--save-baseline, or --format json "
	"-o): an operation whose avg_time exceeds the baseline's by more than the "
	"regression factor is a regression. Needs no privileges and traces nothing."
	"\v"
	"EXIT STATUS:\n"
	"  0  no regression    2  usage error            7  output not written\n"
	"  8  a report file is unreadable or malformed, or a bad --config file\n"
	"  9  at least one operation regressed\n";

static const char compare_args_doc[] = "BASELINE.json CURRENT.json";

enum {
	OPT_FORMAT = 0x100,
	OPT_NO_RES,
	OPT_NO_CHILDREN,
	OPT_METRICS,
	OPT_TREE,
	OPT_WIDE,
	OPT_FOLDED_WEIGHT,
	OPT_TIMELINE,
	OPT_TIMELINE_MAX,
	OPT_HTML,
	OPT_PROBE,
	OPT_RINGBUF,
	OPT_CONFIG,
	OPT_LOG,
	OPT_LOG_FILTER,
	OPT_BASELINE,
	OPT_SAVE_BASELINE,
	OPT_SETTING = 0x200, /* + enum setting_key */
};

#define SETTING_OPT(k, name, arg, help) { name, OPT_SETTING + (k), arg, 0, help, 1 }

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace process PID (repeatable, up to 64)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: Ctrl-C or target exit)", 0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE (atomically) instead of stdout", 0 },
	{ "binary", 'b', "PATH", 0,
	  "Trace every process that runs the executable or library PATH, also those started "
	  "later (repeatable; not with -p or -- CMD)", 0 },
	{ "interval", 'i', "SECONDS", 0,
	  "Also report every SECONDS the operations of that interval (NDJSON lines with "
	  "--format json); the cumulative report comes last", 0 },
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", 0,
	  "Serve /metrics (Prometheus) and /report (JSON) over HTTP on ADDR:PORT "
	  "(127.0.0.1 unless given; METRICS_ADDRESS)", 0 },
	{ "format", OPT_FORMAT, "FMT", 0,
	  "Report format: text (default), json, or folded (flame-graph stacks)", 0 },
	{ "tree", OPT_TREE, NULL, 0, "Text report: add the operation tree with self times", 0 },
	{ "wide", OPT_WIDE, NULL, 0,
	  "Text report: every column, whatever the terminal's width", 0 },
	{ "folded-weight", OPT_FOLDED_WEIGHT, "WEIGHT", 0,
	  "--format folded: weigh paths by time (self time, us; default), cpu, memory or count", 0 },
	{ "timeline", OPT_TIMELINE, "FILE", 0,
	  "Write every operation to FILE as a Chrome trace-event timeline (Perfetto)", 0 },
	{ "timeline-max-events", OPT_TIMELINE_MAX, "N", 0,
	  "Keep at most N operations in the timeline (--timeline, --html; default 1000000); "
	  "more are counted", 0 },
	{ "html", OPT_HTML, "FILE", 0,
	  "Also write the report, with the timeline, as a self-contained HTML page", 0 },
	{ "probe", OPT_PROBE, "PROVIDER:START:END[:NAME]", 0,
	  "Also trace the program's own USDT probes START..END as operations (END may be "
	  "END1,END2; NAME: argN names them by string argument N of START, else a label, "
	  "START by default; repeatable, up to 16)", 0 },
	{ "config", OPT_CONFIG, "FILE", 0, "Read settings from FILE's MONITORING object (below)", 0 },
	{ "log", OPT_LOG, "FILE", OPTION_ARG_OPTIONAL,
	  "Log each operation as it ends (INFO:etl.profiler:NAME: 2.34s, Memory: +15.2MB) "
	  "to stderr, or appended to FILE (--log=FILE)", 0 },
	{ "log-filter", OPT_LOG_FILTER, "NAME", 0,
	  "With --log: log only operation NAME (repeatable)", 0 },
	{ "baseline", OPT_BASELINE, "FILE", 0,
	  "Compare with the JSON report in FILE; exit 9 on a regression", 0 },
	{ "save-baseline", OPT_SAVE_BASELINE, "FILE", 0,
	  "Also write the JSON report to FILE (atomically), for --baseline", 0 },
	{ "no-children", OPT_NO_CHILDREN, NULL, 0,
	  "Do not trace the processes that traced processes fork", 0 },
	{ "no-resources", OPT_NO_RES, NULL, 0,
	  "Do not collect CPU time, page faults and I/O per operation", 0 },
	{ "ringbuf-mb", OPT_RINGBUF, "MB", 0, "Ring buffer size, power of two (default 16)", 0 },
	{ "max-operations", OPT_SETTING + SET_MAX_OPERATIONS, "N", 0,
	  "Keep at most N distinct operation names (1-1000000); samples of others are "
	  "reported together as [other operations] (MAX_OPERATIONS, 10000)", 0 },
	{ "verbose", 'v', NULL, 0, "More diagnostics on stderr (-vvv: libbpf's too)", 0 },
	{ NULL, 0, NULL, 0, "Thresholds (file key in parentheses):", 1 },
	SETTING_OPT(SET_SLOW, "slow-threshold", "SECONDS",
		    "avg_time above this is reported slow (PERFORMANCE_THRESHOLD_SECONDS, 2.0)"),
	SETTING_OPT(SET_MEMORY, "memory-threshold", "MB",
		    "max_memory_delta above this is reported (MEMORY_THRESHOLD_MB, 100)"),
	SETTING_OPT(SET_BATCH, "batch-threshold", "SECONDS",
		    "avg_time above this: 'Consider batch processing' (BATCH_PROCESSING_SECONDS, 2.0)"),
	SETTING_OPT(SET_CLEANUP, "cleanup-threshold", "MB",
		    "max_memory_delta above this: 'Implement memory cleanup' (MEMORY_CLEANUP_MB, 50)"),
	SETTING_OPT(SET_WAIT, "wait-fraction", "F",
		    "A slow operation off CPU more than F of its time: 'Enable parallel processing' "
		    "(PARALLEL_WAIT_FRACTION, 0.5)"),
	SETTING_OPT(SET_TRANSIENT, "transient-threshold", "MB",
		    "Peak above net memory delta by more than this... (TRANSIENT_MEMORY_MB, 50)"),
	SETTING_OPT(SET_PEAK_RATIO, "peak-ratio", "R",
		    "...and peak above R x net: 'Reduce batch size' (PEAK_TO_NET_RATIO, 2.0)"),
	SETTING_OPT(SET_MAJOR_FAULTS, "major-faults", "N",
		    "Major page faults per operation above this are called out "
		    "(MAJOR_FAULTS_PER_OPERATION, 100)"),
	SETTING_OPT(SET_REGRESSION, "regression-factor", "F",
		    "avg_time above F x the baseline's is a regression (REGRESSION_FACTOR, 1.5)"),
	{},
};

static const struct argp_option compare_opts[] = {
	{ "output", 'o', "FILE", 0, "Write the comparison to FILE (atomically) instead of stdout", 0 },
	{ "format", OPT_FORMAT, "FMT", 0, "Output format: text (default) or json", 0 },
	{ "config", OPT_CONFIG, "FILE", 0, "Read REGRESSION_FACTOR from FILE's MONITORING object", 0 },
	SETTING_OPT(SET_REGRESSION, "regression-factor", "F",
		    "avg_time above F x the baseline's is a regression (default 1.5)"),
	{ "verbose", 'v', NULL, 0, "More diagnostics on stderr", 0 },
	{},
};

/* The parser's state: the options and which settings flags gave. */
struct parse_ctx {
	struct options *o;
	unsigned given;
};

/*
 * Numbers on the command line are taken only in the forms a person types,
 * never in the many strtod/strtol also accept (" 12", "+12", "0x2", "1e3"
 * for a PID, "inf", "nan", hexadecimal floats):
 *   whole numbers (PID, N, --ringbuf-mb): decimal digits only, no sign, no
 *     spaces, no leading zero ("0" itself aside: 010 is not a PID);
 *   decimal numbers (SECONDS, MB, F, R): digits with an optional fraction
 *     and an optional exponent ("2", "0.5", ".5", "1e-3", "2.5E2").
 */

/* Parses a whole number in [lo, hi] written as decimal digits; 0 on
 * success. */
static int parse_whole(const char *s, unsigned long long lo, unsigned long long hi,
		       unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');

		if (hi < d || v > (hi - d) / 10)
			return -1; /* above hi, however long the number goes on */
		v = v * 10 + d;
	}
	if (v < lo)
		return -1;
	*out = v;
	return 0;
}

/* True if s is digits[.digits][e[+-]digits] with a digit before the
 * exponent. */
static bool decimal_syntax(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	s += digits;
	if (*s == '.') {
		size_t frac = strspn(s + 1, "0123456789");

		digits += frac;
		s += 1 + frac;
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!strspn(s, "0123456789"))
			return false;
		s += strspn(s, "0123456789");
	}
	return !*s;
}

/* Parses a decimal number (see above) in [lo, hi]; 0 on success. */
static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	if (!decimal_syntax(s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Long option name of a setting's flag. */
static const char *setting_flag(const struct argp_option *table, int key)
{
	for (const struct argp_option *op = table; op->name || op->doc; op++)
		if (op->key == key)
			return op->name;
	return "?";
}

/* A threshold flag: parses it into the setting, within its range. */
static void parse_setting(struct argp_state *state, struct parse_ctx *c, int key, char *arg,
			  const struct argp_option *table)
{
	enum setting_key k = (enum setting_key)(key - OPT_SETTING);
	double *dst = setting_number(&c->o->set, k), lo = 0, hi = 0;
	bool whole = setting_is_whole(k);
	unsigned long long n;
	int bad = !dst || setting_range(k, &lo, &hi);

	if (!bad && whole) {
		bad = parse_whole(arg, (unsigned long long)lo, (unsigned long long)hi, &n);
		if (!bad)
			*dst = (double)n;
	} else if (!bad) {
		bad = parse_double(arg, lo, hi, dst);
	}
	if (bad) {
		argp_failure(state, ETL_EXIT_USAGE, 0, "invalid --%s '%s': expected a %s in [%g, %g]",
			     setting_flag(table, key), arg, whole ? "whole number" : "number", lo, hi);
		return;
	}
	c->given |= SETTING_BIT(k);
}

/* Options common to both command lines. Returns 0 if handled. */
static int parse_common(int key, char *arg, struct argp_state *state)
{
	struct parse_ctx *c = state->input;
	struct options *o = c->o;

	switch (key) {
	case 'o':
		if (!*arg)
			argp_failure(state, ETL_EXIT_USAGE, 0, "empty output file name");
		o->report.output = arg;
		return 0;
	case OPT_FORMAT:
		if (!strcmp(arg, "text"))
			o->report.format = FORMAT_TEXT;
		else if (!strcmp(arg, "json"))
			o->report.format = FORMAT_JSON;
		else if (!strcmp(arg, "folded") && o->mode == MODE_TRACE)
			o->report.format = FORMAT_FOLDED;
		else
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid format '%s': expected text, json%s", arg,
				     o->mode == MODE_TRACE ? " or folded" : "");
		return 0;
	case OPT_CONFIG:
		if (!*arg)
			argp_failure(state, ETL_EXIT_USAGE, 0, "empty --config file name");
		o->config = arg;
		return 0;
	case 'v':
		if (o->verbose < 3)
			o->verbose++;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* Checks the finished trace command line. */
static void check_trace_end(struct argp_state *state, struct options *o)
{
	if ((o->npids > 0) + (o->cmd != NULL) + (o->nbinaries > 0) > 1)
		argp_failure(state, ETL_EXIT_USAGE, 0,
			     "give one of -p PID, -b PATH or -- CMD, not several");
	else if (!o->npids && !o->cmd && !o->nbinaries)
		argp_failure(state, ETL_EXIT_USAGE, 0,
			     "nothing to trace: give -p PID, -b PATH or -- CMD (see --help)");
	else if (o->report.weight != FOLDED_TIME && o->report.format != FORMAT_FOLDED)
		argp_failure(state, ETL_EXIT_USAGE, 0, "--folded-weight needs --format folded");
	else if (o->report.format == FORMAT_FOLDED && o->interval > 0)
		argp_failure(state, ETL_EXIT_USAGE, 0,
			     "--format folded has no interval reports: drop -i, or use json");
	else if (o->nlog_filters && !o->log)
		argp_failure(state, ETL_EXIT_USAGE, 0, "--log-filter needs --log");
}

/* Options taking a file name that must not be empty. */
static void file_arg(struct argp_state *state, const char *flag, char *arg, const char **dst)
{
	if (!*arg)
		argp_failure(state, ETL_EXIT_USAGE, 0, "empty %s file name", flag);
	*dst = arg;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_ctx *c = state->input;
	struct options *o = c->o;
	unsigned long long v;
	unsigned int port;
	char host[64];

	if (key >= OPT_SETTING && key < OPT_SETTING + SET__MAX) {
		parse_setting(state, c, key, arg, opts);
		return 0;
	}
	switch (key) {
	case 'p':
		if (parse_whole(arg, 1, INT_MAX, &v))
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid PID '%s': expected a process id, decimal digits from 1 "
				     "to %d (no sign, spaces or leading zeros)", arg, INT_MAX);
		else if (o->npids >= OPTIONS_MAX_PIDS)
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "too many -p options: at most %d processes", OPTIONS_MAX_PIDS);
		else
			o->pids[o->npids++] = (pid_t)v;
		break;
	case 'd':
		if (parse_double(arg, 0.001, 1e9, &o->duration))
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid duration '%s': expected seconds > 0", arg);
		break;
	case OPT_NO_RES:
		o->resources = false;
		break;
	case OPT_NO_CHILDREN:
		o->children = false;
		break;
	case 'b':
		if (o->nbinaries >= OPTIONS_MAX_PIDS)
			argp_failure(state, ETL_EXIT_USAGE, 0, "too many -b options: at most %d",
				     OPTIONS_MAX_PIDS);
		else
			file_arg(state, "-b", arg, &o->binaries[o->nbinaries++]);
		break;
	case 'i':
		if (parse_double(arg, 0.01, 1e9, &o->interval))
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid interval '%s': expected seconds >= 0.01", arg);
		break;
	case OPT_METRICS:
		if (strlen(arg) >= sizeof(o->set.metrics_address) ||
		    netaddr_parse(arg, host, sizeof(host), &port))
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid --metrics '%s': give " NETADDR_FORMS, arg);
		else
			snprintf(o->set.metrics_address, sizeof(o->set.metrics_address), "%s", arg);
		c->given |= SETTING_BIT(SET_METRICS_ADDRESS);
		break;
	case OPT_TREE:
		o->report.tree = true;
		break;
	case OPT_WIDE:
		o->report.wide = true;
		break;
	case OPT_FOLDED_WEIGHT:
		if (!strcmp(arg, "time"))
			o->report.weight = FOLDED_TIME;
		else if (!strcmp(arg, "cpu"))
			o->report.weight = FOLDED_CPU;
		else if (!strcmp(arg, "memory"))
			o->report.weight = FOLDED_MEMORY;
		else if (!strcmp(arg, "count"))
			o->report.weight = FOLDED_COUNT;
		else
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid --folded-weight '%s': expected time, cpu, memory or count",
				     arg);
		break;
	case OPT_TIMELINE:
		file_arg(state, "--timeline", arg, &o->report.timeline);
		break;
	case OPT_TIMELINE_MAX:
		if (parse_whole(arg, 1, 1000000000, &v))
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid --timeline-max-events '%s': expected a whole number in "
				     "[1, 1000000000]", arg);
		else
			o->timeline_max = (size_t)v;
		break;
	case OPT_HTML:
		file_arg(state, "--html", arg, &o->report.html);
		break;
	case OPT_PROBE: {
		char why[256];

		if (pairs_parse(&o->pairs, arg, why, sizeof(why)))
			argp_failure(state, ETL_EXIT_USAGE, 0, "%s", why);
		break;
	}
	case OPT_RINGBUF:
		if (parse_whole(arg, 1, 1024, &v) || (v & (v - 1)))
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid --ringbuf-mb '%s': expected a power of two from 1 to "
				     "1024, in decimal digits", arg);
		else
			o->ringbuf_mb = (unsigned int)v;
		break;
	case OPT_LOG:
		o->log = true;
		if (arg)
			file_arg(state, "--log", arg, &o->log_file);
		break;
	case OPT_LOG_FILTER:
		if (o->nlog_filters >= LOG_FILTER_MAX)
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "too many --log-filter options: at most %d", LOG_FILTER_MAX);
		else
			o->log_filters[o->nlog_filters++] = arg;
		break;
	case OPT_BASELINE:
		file_arg(state, "--baseline", arg, &o->report.baseline);
		break;
	case OPT_SAVE_BASELINE:
		file_arg(state, "--save-baseline", arg, &o->report.save_baseline);
		break;
	case ARGP_KEY_ARG:
		/* Everything from the first operand on is the command. */
		o->cmd = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		check_trace_end(state, o);
		break;
	default:
		return parse_common(key, arg, state);
	}
	return 0;
}

static error_t parse_compare_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_ctx *c = state->input;
	struct options *o = c->o;

	if (key >= OPT_SETTING && key < OPT_SETTING + SET__MAX) {
		parse_setting(state, c, key, arg, compare_opts);
		return 0;
	}
	switch (key) {
	case ARGP_KEY_ARG:
		if (state->arg_num >= 2)
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "too many operands: give BASELINE.json CURRENT.json");
		else if (!*arg)
			argp_failure(state, ETL_EXIT_USAGE, 0, "empty report file name");
		else
			o->compare[state->arg_num] = arg;
		return 0;
	case ARGP_KEY_END:
		if (state->arg_num < 2)
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "compare needs two reports: BASELINE.json CURRENT.json");
		return 0;
	default:
		return parse_common(key, arg, state);
	}
}

/* `--log FILE` would make FILE the command (argp's optional arguments
 * only attach as --log=FILE): refuses an operand right after --log before
 * the --. Returns 0 or ETL_EXIT_USAGE after printing one line. */
static int check_log_operand(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc && strcmp(argv[i], "--"); i++) {
		if (strcmp(argv[i], "--log") || argv[i + 1][0] == '-')
			continue;
		diag("'%s' after --log: write --log=FILE for a log file, and put a command "
		     "after --", argv[i + 1]);
		return ETL_EXIT_USAGE;
	}
	return 0;
}

/* Reads the --config file into the settings no flag gave. Returns 0 or
 * ETL_EXIT_CONFIG after printing one line. */
static int apply_config(struct options *o, unsigned given)
{
	struct settings file;
	unsigned found = 0;
	char err[512];

	settings_default(&file);
	if (config_load(o->config, &file, &found, err, sizeof(err))) {
		diag("%s", err);
		return ETL_EXIT_CONFIG;
	}
	settings_merge(&o->set, &file, found & ~given);
	return 0;
}

bool options_parse(int argc, char **argv, struct options *o, int *status)
{
	static const struct argp argp = { opts, parse_opt, args_doc, doc, NULL, NULL, NULL };
	static const struct argp compare_argp = { compare_opts, parse_compare_opt, compare_args_doc,
						  compare_doc, NULL, NULL, NULL };
	struct parse_ctx c = { .o = o };
	char name[] = "etltrace compare", **sub = NULL;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	settings_default(&o->set);
	o->resources = true;
	o->children = true;
	o->ringbuf_mb = 16;
	o->timeline_max = 1000000;
	argp_err_exit_status = ETL_EXIT_USAGE;
	if (argc > 1 && !strcmp(argv[1], "compare")) {
		/* argv[1..] with "etltrace compare" as the program name. */
		sub = calloc((size_t)argc, sizeof(*sub));
		if (!sub) {
			fputs("etltrace: out of memory\n", stderr);
			*status = ETL_EXIT_FAILURE;
			return false;
		}
		sub[0] = name;
		memcpy(sub + 1, argv + 2, (size_t)(argc - 2) * sizeof(*sub));
		o->mode = MODE_COMPARE;
		if (argp_parse(&compare_argp, argc - 1, sub, 0, NULL, &c))
			rc = ETL_EXIT_USAGE;
	} else if (check_log_operand(argc, argv) || argp_parse(&argp, argc, argv, 0, NULL, &c)) {
		rc = ETL_EXIT_USAGE;
	}
	if (rc < 0 && o->config)
		rc = apply_config(o, c.given) ?: -1;
	free(sub);
	*status = rc < 0 ? ETL_EXIT_OK : rc;
	return rc < 0;
}
