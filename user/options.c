// SPDX-License-Identifier: MIT
/* options.c - argp command line of etltrace. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

const char *argp_program_version = "etltrace 0.1";
const char *argp_program_bug_address = "the etltrace issue tracker";

static const char doc[] =
	"Trace the USDT-marked operations (etl:op_start / etl:op_end) of running "
	"processes with BPF and report per-operation time and memory statistics."
	"\v"
	"EXAMPLES:\n"
	"  etltrace -p 1234                 trace PID 1234 until Ctrl-C or its exit\n"
	"  etltrace -p 1234 -p 1240 -d 30   trace two processes for 30 seconds\n"
	"  etltrace --format json -o r.json -- ./etl_job --rows 100000\n"
	"                                   run a command traced from its first operation\n"
	"\n"
	"EXIT STATUS:\n"
	"  0  success          1  runtime failure        2  usage error\n"
	"  3  no such process  4  no etl markers         5  insufficient privileges\n"
	"  6  kernel lacks BTF/uprobes/BPF               7  report could not be written\n"
	"  With -- CMD, the command's own exit status once tracing succeeded.\n";

static const char args_doc[] = "-p PID [-p PID...] | -- CMD [ARGS...]";

enum {
	OPT_SLOW = 0x100,
	OPT_MEM,
	OPT_FORMAT,
	OPT_NO_RES,
	OPT_RINGBUF,
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace process PID (repeatable, up to 64)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: Ctrl-C or target exit)", 0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE instead of stdout", 0 },
	{ "format", OPT_FORMAT, "FMT", 0, "Report format: text (default) or json", 0 },
	{ "slow-threshold", OPT_SLOW, "SECONDS", 0,
	  "Operations slower than this on average are reported (default 2.0)", 0 },
	{ "memory-threshold", OPT_MEM, "MB", 0,
	  "Operations whose max memory delta exceeds this are reported (default 100)", 0 },
	{ "no-resources", OPT_NO_RES, NULL, 0,
	  "Do not collect CPU time, page faults and I/O per operation", 0 },
	{ "ringbuf-mb", OPT_RINGBUF, "MB", 0, "Ring buffer size, power of two (default 16)", 0 },
	{ "verbose", 'v', NULL, 0, "More diagnostics on stderr (-vvv: libbpf's too)", 0 },
	{},
};

/* Parses a decimal number in [lo, hi]; 0 on success. */
static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;
	double v;

	switch (key) {
	case 'p':
		if (parse_double(arg, 1, INT_MAX, &v) || v != (pid_t)v)
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid PID '%s': expected a positive process id", arg);
		else if (o->npids >= ETL_MAX_TGIDS)
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "too many -p options: at most %d processes", ETL_MAX_TGIDS);
		else
			o->pids[o->npids++] = (pid_t)v;
		break;
	case 'd':
		if (parse_double(arg, 0.001, 1e9, &o->duration))
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid duration '%s': expected seconds > 0", arg);
		break;
	case 'o':
		if (!*arg)
			argp_failure(state, ETL_EXIT_USAGE, 0, "empty output file name");
		o->output = arg;
		break;
	case OPT_FORMAT:
		if (!strcmp(arg, "text"))
			o->format = FORMAT_TEXT;
		else if (!strcmp(arg, "json"))
			o->format = FORMAT_JSON;
		else
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid format '%s': expected text or json", arg);
		break;
	case OPT_SLOW:
		if (parse_double(arg, 0, 1e9, &o->th.slow_seconds))
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid --slow-threshold '%s': expected seconds >= 0", arg);
		break;
	case OPT_MEM:
		if (parse_double(arg, 0, 1e12, &o->th.memory_mb))
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid --memory-threshold '%s': expected MB >= 0", arg);
		break;
	case OPT_NO_RES:
		o->resources = false;
		break;
	case OPT_RINGBUF:
		if (parse_double(arg, 1, 1024, &v) || v != (unsigned int)v ||
		    ((unsigned int)v & ((unsigned int)v - 1)))
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "invalid --ringbuf-mb '%s': expected a power of two, 1-1024", arg);
		else
			o->ringbuf_mb = (unsigned int)v;
		break;
	case 'v':
		if (o->verbose < 3)
			o->verbose++;
		break;
	case ARGP_KEY_ARG:
		/* Everything from the first operand on is the command. */
		o->cmd = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (o->npids && o->cmd)
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "give either -p PID or -- CMD, not both");
		else if (!o->npids && !o->cmd)
			argp_failure(state, ETL_EXIT_USAGE, 0,
				     "nothing to trace: give -p PID or -- CMD (see --help)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int options_parse(int argc, char **argv, struct options *o)
{
	static const struct argp argp = { opts, parse_opt, args_doc, doc, NULL, NULL, NULL };

	memset(o, 0, sizeof(*o));
	o->th.slow_seconds = 2.0;
	o->th.memory_mb = 100.0;
	o->resources = true;
	o->ringbuf_mb = 16;
	argp_err_exit_status = ETL_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, o))
		return ETL_EXIT_USAGE;
	return -1;
}
