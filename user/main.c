// SPDX-License-Identifier: MIT
/* main.c - etltrace: parse the command line, run what it asks for. */
#include "cli/options.h"
#include "run/compare.h"
#include "run/trace.h"

static int (*const runs[])(const struct options *o) = {
	[MODE_TRACE] = trace_run,
	[MODE_COMPARE] = compare_run,
};

int main(int argc, char **argv)
{
	struct options o;
	int status;

	if (!options_parse(argc, argv, &o, &status))
		return status;
	return runs[o.mode](&o);
}
