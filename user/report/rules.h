/* SPDX-License-Identifier: MIT */
/*
 * rules.h - what the report advises: the seed profiler's recommendations
 * (exact texts) and its suggest_optimizations() list, each behind a rule
 * over one operation's statistics and the thresholds. One table in rules.c
 * holds every rule: its condition, its text and its evidence.
 */
#ifndef ETLTRACE_RULES_H
#define ETLTRACE_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "collect/stats.h"
#include "report/thresholds.h"

/* In table order, which is the order of findings for one operation. */
enum rule_id {
	RULE_SLOW,             /* "Operation 'X' is slow (avg: 0.5s). Consider optimization." */
	RULE_HIGH_MEMORY,      /* "Operation 'X' uses high memory (max: 45.2MB). Consider ..." */
	RULE_BATCH_PROCESSING, /* "Consider batch processing for X" */
	RULE_MEMORY_CLEANUP,   /* "Implement memory cleanup for X" */
	RULE_PARALLEL,         /* "Enable parallel processing for large datasets" */
	RULE_BATCH_SIZE,       /* "Reduce batch size to optimize memory usage" */
	RULE_MAJOR_FAULTS,     /* "Reduce major page faults for X" */
	RULE__MAX
};

enum rule_kind {
	RULE_RECOMMENDATION, /* the report's "recommendations" */
	RULE_SUGGESTION,     /* the report's "suggestions" */
};

/* One rule that fired for one operation. */
struct finding {
	enum rule_id rule;
	enum rule_kind kind;
	const char *rule_name;     /* static, e.g. "batch_processing" */
	bool named;                /* text holds the operation's name */
	char *text;                /* malloc'd; raw name bytes inside when named */
	char *evidence;            /* malloc'd, no name: "avg_time 3.20s > 2.00s" */
	const struct op_stats *op; /* valid while the statistics are */
};

/* Applies every rule to ops[0..n) (report order) with thresholds th: the
 * findings come per operation in that order, rules in table order, and
 * only operations with a finished sample are judged (every comparison is
 * strict, on unrounded values). *out is a malloc'd array (NULL when nothing
 * fired) freed with findings_free. Returns the number of findings, or
 * -ENOMEM (-EINVAL for a NULL argument). */
int rules_apply(const struct op_stats *const *ops, size_t n, const struct thresholds *th,
		struct finding **out);

void findings_free(struct finding *f, size_t n);

#endif /* ETLTRACE_RULES_H */
