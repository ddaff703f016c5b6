// SPDX-License-Identifier: MIT
/* main.c - etltrace: parse the command line, run one trace or comparison. */
#include "run/compare.h"
#include "cli/options.h"
#include "run/trace.h"

int main(int argc, char **argv)
{
	struct options o;
	int rc = options_parse(argc, argv, &o);

	if (rc >= 0)
		return rc;
	return o.mode == MODE_COMPARE ? compare_run(&o) : session_run(&o);
}
