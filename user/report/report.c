// SPDX-License-Identifier: MIT
/* report.c - what every report writer shares: the operations in report
 * order and the findings of the rules, computed once per report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

int report_prepare(struct report_input *in)
{
	ssize_t n;
	int found;

	if (!in || !in->stats)
		return -EINVAL;
	in->ops = NULL;
	in->findings = NULL;
	in->nops = in->nfindings = 0;
	memset(&in->tree, 0, sizeof(in->tree));
	n = stats_sorted_alloc(in->stats, &in->ops);
	if (n < 0)
		return (int)n;
	in->nops = (size_t)n;
	found = rules_apply(in->ops, in->nops, &in->th, &in->findings);
	if (found < 0) {
		report_release(in);
		return found;
	}
	in->nfindings = (size_t)found;
	if (in->paths) {
		int err = paths_tree(in->paths, &in->tree);

		if (err) {
			report_release(in);
			return err;
		}
	}
	return 0;
}

void report_release(struct report_input *in)
{
	free(in->ops);
	findings_free(in->findings, in->nfindings);
	path_tree_free(&in->tree);
	in->ops = NULL;
	in->findings = NULL;
	in->nops = in->nfindings = 0;
}
