// SPDX-License-Identifier: MIT
/* diag.c - one diagnostic line, one write. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/diag.h"

void diag(const char *fmt, ...)
{
	char *msg = NULL, *line = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = asprintf(&line, "etltrace: %s\n", msg);
	if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
		n = -1; /* stderr is gone: nothing left to tell */
	free(line);
	free(msg);
}
