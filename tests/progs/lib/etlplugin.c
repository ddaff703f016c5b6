// SPDX-License-Identifier: MIT
/*
 * etlplugin.c - a shared library with its own etl markers, loaded with
 * dlopen by `marked dlopen` after etltrace is attached: etltrace must find
 * and attach it while tracing.
 */
#include <etl_probe.h>

/* Runs n "plugin_op" operations. */
void etl_plugin_run(long n)
{
	for (long i = 0; i < n; i++) {
		ETL_OP_START("plugin_op");
		ETL_OP_END("plugin_op");
	}
}
