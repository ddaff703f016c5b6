// SPDX-License-Identifier: MIT
/*
 * fuzz_config.c - the --config file parser (cli/config.c and the strict JSON
 * reading of util/jsonfile.c): the input is the file, read through its path
 * as etltrace reads it. Checked: a file is taken or refused with exactly
 * one line of printable text naming the file; a taken file leaves every
 * numeric setting finite and in its range (whole where it must be), keys
 * absent keep their value, and the settings written back as a file are
 * read back to the same bits.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "fuzz.h"


static struct fuzz_file file = { .fd = -1 }, again_file = { .fd = -1 };

/* The settings of found as a config file, numbers exact (%.17g). */
static size_t write_back(struct settings *s, unsigned found, char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "{\"MONITORING\": {");
	const char *sep = "";

	for (int k = 0; k < SET__MAX; k++) {
		double *v = setting_number(s, (enum setting_key)k);
		const char *name = setting_name((enum setting_key)k);

		if (!(found & SETTING_BIT(k)))
			continue;
		if (v)
			n += (size_t)snprintf(buf + n, cap - n, "%s\"%s\": %.17g", sep, name, *v);
		else if (k == SET_METRICS_ADDRESS) /* taken only if it parsed: no escapes */
			n += (size_t)snprintf(buf + n, cap - n, "%s\"%s\": \"%s\"", sep, name,
					      s->metrics_address);
		else
			n += (size_t)snprintf(buf + n, cap - n, "%s\"%s\": %s", sep, name,
					      (k == SET_PROFILING ? s->profiling : s->metrics) ? "true"
											 : "false");
		sep = ", ";
	}
	n += (size_t)snprintf(buf + n, cap - n, "}}");
	return n;
}

static void check_error(const char *err, const char *path)
{
	char prefix[80];

	snprintf(prefix, sizeof(prefix), "config %s: ", path);
	FUZZ_CHECK(!strncmp(err, prefix, strlen(prefix)), "error \"%s\" does not name the file", err);
	FUZZ_CHECK(strlen(err) > strlen(prefix), "an empty reason");
	FUZZ_CHECK(!fuzz_has_control(err, strlen(err), false), "a control byte in \"%s\"", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s, defaults, back;
	unsigned found = 0, found_back = 0;
	char err[512] = "", text[2048];
	size_t n;
	int rc;

	if (file.fd < 0) {
		fuzz_file_open(&file);
		fuzz_file_open(&again_file);
	}
	fuzz_file_set(&file, data, size);
	settings_default(&s);
	settings_default(&defaults);
	rc = config_load(file.path, &s, &found, err, sizeof(err));
	if (rc) {
		FUZZ_CHECK(rc == -1, "returned %d", rc);
		check_error(err, file.path);
		return 0;
	}
	FUZZ_CHECK(found < SETTING_BIT(SET__MAX), "found 0x%x", found);
	for (int k = 0; k < SET__MAX; k++) {
		double lo, hi, *v = setting_number(&s, (enum setting_key)k);

		if (!(found & SETTING_BIT(k)) || !v)
			continue;
		FUZZ_CHECK(setting_range((enum setting_key)k, &lo, &hi) == 0, "no range for %d", k);
		FUZZ_CHECK(isfinite(*v) && *v >= lo && *v <= hi, "%s = %g", setting_name((enum setting_key)k), *v);
		if (setting_is_whole((enum setting_key)k))
			FUZZ_CHECK(*v == floor(*v), "%s = %g is not whole",
				   setting_name((enum setting_key)k), *v);
	}
	/* Keys absent keep their value: s is the defaults with found merged in. */
	back = defaults;
	settings_merge(&back, &s, found);
	FUZZ_CHECK(!memcmp(&back, &s, sizeof(s)), "a setting changed that the file does not hold");
	n = write_back(&s, found, text, sizeof(text));
	FUZZ_CHECK(n < sizeof(text), "write-back too long");
	fuzz_file_set(&again_file, text, n);
	settings_default(&back);
	rc = config_load(again_file.path, &back, &found_back, err, sizeof(err));
	FUZZ_CHECK(rc == 0, "written back as %s: %s", text, err);
	FUZZ_CHECK(found_back == found, "found 0x%x, then 0x%x", found, found_back);
	for (int k = 0; k < SET__MAX; k++) {
		double *a = setting_number(&s, (enum setting_key)k);
		double *b = setting_number(&back, (enum setting_key)k);

		/* == and not the bits: -0.0 is written back as -0, read as 0 */
		FUZZ_CHECK(a ? *a == *b : s.profiling == back.profiling && s.metrics == back.metrics &&
				   !strcmp(s.metrics_address, back.metrics_address),
			   "%s read back differently", text);
	}
	return 0;
}
