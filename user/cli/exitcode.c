// SPDX-License-Identifier: MIT
/* exitcode.c - failures to exit codes, see exitcode.h. */
#include <errno.h>

#include "cli/exitcode.h"

int exit_code(enum etl_stage stage, int err)
{
	if (err >= 0)
		return ETL_EXIT_OK;
	if (err == -ENOMEM)
		return ETL_EXIT_FAILURE;
	switch (stage) {
	case STAGE_USAGE:
		return ETL_EXIT_USAGE;
	case STAGE_INPUT:
		return ETL_EXIT_CONFIG;
	case STAGE_OUTPUT:
		return ETL_EXIT_OUTPUT;
	case STAGE_TARGET:
		if (err == -ESRCH)
			return ETL_EXIT_NO_TARGET;
		if (err == -ENODATA)
			return ETL_EXIT_NO_MARKERS;
		break;
	case STAGE_KERNEL:
		if (err == -EOPNOTSUPP || err == -ENOSYS || err == -EINVAL)
			return ETL_EXIT_KERNEL;
		break;
	case STAGE_RUN:
		break;
	}
	if (err == -EPERM || err == -EACCES)
		return ETL_EXIT_PERM;
	return stage == STAGE_TARGET ? ETL_EXIT_NO_TARGET : ETL_EXIT_FAILURE;
}
