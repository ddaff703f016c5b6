// SPDX-License-Identifier: MIT
/*
 * compare.c - the compare subcommand. Text output: "Baseline: FILE",
 * "Current: FILE", then the comparison section of the report
 * (report/comparison_print.c). JSON output: {"baseline": FILE, "current": FILE,
 * "regressions": [...], "comparison": {...}} (file names as UTF-8).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "util/diag.h"
#include "report/comparison.h"
#include "run/compare.h"
#include "output/deliver.h"
#include "report/jsonfmt.h"
#include "util/names.h"
#include "output/outfile.h"

struct compare_out {
	const struct options *o;
	const struct comparison *cmp;
};

static int write_text(void *ctx, FILE *f)
{
	const struct compare_out *c = ctx;
	char *b = name_for_terminal(c->o->compare[0]), *n = name_for_terminal(c->o->compare[1]);
	int err = -ENOMEM;

	if (b && n) {
		fprintf(f, "Baseline: %s\nCurrent:  %s\n\n", b, n);
		err = comparison_write_text(c->cmp, f);
	}
	free(b);
	free(n);
	return err;
}

static int write_json(void *ctx, FILE *f)
{
	const struct compare_out *c = ctx;
	struct json_object *root = json_object_new_object();
	int err = root ? 0 : -ENOMEM;

	err = err ?: json_put(root, "baseline", json_name(c->o->compare[0]));
	err = err ?: json_put(root, "current", json_name(c->o->compare[1]));
	err = err ?: comparison_add_json(c->cmp, root);
	err = err ?: report_json_print(root, f);
	json_object_put(root);
	return err;
}

int compare_run(const struct options *o)
{
	struct perf_ops base = { 0 }, cur = { 0 };
	struct comparison cmp = { 0 };
	struct compare_out out = { o, &cmp };
	struct report_settings rs = o->report;
	char err[640];
	int rc;

	rs.stdout_closed = out_guard_stdio();
	signal(SIGPIPE, SIG_IGN);
	rc = exit_code(STAGE_OUTPUT, deliver_check(&rs, "the comparison"));
	if (rc)
		return rc;
	if (perf_ops_load("baseline", o->compare[0], &base, err, sizeof(err)) ||
	    perf_ops_load("report", o->compare[1], &cur, err, sizeof(err))) {
		diag("%s", err);
		rc = ETL_EXIT_CONFIG;
		goto cleanup;
	}
	if (comparison_build(&base, &cur, o->set.regression_factor, &cmp)) {
		diag("out of memory while comparing the reports");
		rc = ETL_EXIT_FAILURE;
		goto cleanup;
	}
	rc = exit_code(STAGE_OUTPUT, deliver_file(rs.output, "the comparison", rs.stdout_closed,
						  rs.format == FORMAT_JSON ? write_json
									   : write_text, &out));
	if (!rc && cmp.nregressions)
		rc = ETL_EXIT_REGRESSION;
cleanup:
	comparison_free(&cmp);
	perf_ops_free(&base);
	perf_ops_free(&cur);
	return rc;
}
