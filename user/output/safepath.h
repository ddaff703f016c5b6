/* SPDX-License-Identifier: MIT */
/*
 * safepath.h - finding the directory an output file goes in without being
 * led elsewhere by what other users control. etltrace runs as root and
 * writes files at paths from its command line, often under directories
 * everyone can write (/tmp), where anyone can plant a symbolic link.
 *
 * The rule. The directories of a path are walked one component at a time,
 * each opened with O_NOFOLLOW and then used only through its descriptor, so
 * that nothing can be swapped between checking a component and using it. A
 * symbolic link among them is followed only if it cannot have been planted
 * by another user:
 *   - it is owned by root or by etltrace's effective user, or
 *   - its directory is writable by no one else: owned by root or by that
 *     user, without group or other write permission (group write counts
 *     as others even for group 0: ACLs show through the group bits).
 * Anything else - a link owned by another user in /tmp or in that user's
 * home - is refused, naming the link and where it leads. This keeps the
 * links a system or its administrator made (/var/run -> /run) and refuses
 * exactly those whose target another user chooses.
 *
 * The last component is never followed by these functions' callers (see
 * outfile.h): only the directory part is resolved here.
 */
#ifndef ETLTRACE_SAFEPATH_H
#define ETLTRACE_SAFEPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct safe_dir {
	int fd;      /* the directory (O_PATH), -1 when not open */
	char *base;  /* the path's last component, a name in fd (owned) */
	char *shown; /* the directory as walked, escaped for the terminal (owned) */
};

/* True if no user but root and `self` can create, remove or rename entries
 * in the directory whose status is st. */
bool safe_dir_private(const struct stat *st, uid_t self);

/* Resolves the directory holding `path` under the rule above, with `self`
 * the one trusted user besides root (callers pass geteuid()). A path whose
 * last component is empty, "." or ".." names a directory: -EISDIR. Returns
 * 0 and fills d (release it with safe_dir_close), or a negative errno after
 * writing into why a reason naming the component, escaped for the
 * terminal, e.g. "/tmp/x does not exist (create the directory first)" or
 * "/tmp/evil is a symbolic link owned by uid 1000 in /tmp, which other
 * users can write: refused, as it may lead anywhere (give the path it
 * leads to, /etc)". */
int safe_dir_open(const char *path, uid_t self, struct safe_dir *d, char *why, size_t whylen);

void safe_dir_close(struct safe_dir *d);

#endif /* ETLTRACE_SAFEPATH_H */
