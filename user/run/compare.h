/* SPDX-License-Identifier: MIT */
/*
 * compare.h - `etltrace compare BASELINE.json CURRENT.json`: compares two
 * saved JSON reports (report/comparison.h rules), traces nothing, needs no privilege.
 */
#ifndef ETLTRACE_COMPARE_H
#define ETLTRACE_COMPARE_H

#include "cli/options.h"

/* Runs the comparison of o->compare[0] (baseline) and o->compare[1]
 * (current), written as text or JSON to -o FILE or stdout. Returns
 * ETL_EXIT_OK, ETL_EXIT_REGRESSION, ETL_EXIT_CONFIG (a report file is
 * unreadable or malformed), ETL_EXIT_OUTPUT or ETL_EXIT_FAILURE, after one
 * line on stderr for each failure. */
int compare_run(const struct options *o);

#endif /* ETLTRACE_COMPARE_H */
