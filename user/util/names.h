/* SPDX-License-Identifier: MIT */
/*
 * names.h - making operation names safe to show. Names are bytes read from
 * the traced process: untrusted, not necessarily UTF-8, possibly holding
 * control bytes or terminal escape sequences. Every output goes through one
 * of these functions; nothing else in etltrace interprets name bytes.
 */
#ifndef ETLTRACE_NAMES_H
#define ETLTRACE_NAMES_H

#include <stddef.h>

/* Returns a malloc'd copy of `raw` that is valid UTF-8 (RFC 3629): well-formed
 * sequences are kept byte for byte; each maximal ill-formed subpart (a stray
 * or invalid byte, an overlong form, a surrogate, a code point above
 * U+10FFFF, a sequence cut short) becomes one U+FFFD, as Python's
 * bytes.decode("utf-8", "replace") does. Control characters are kept: JSON
 * writers escape them. Returns NULL if `raw` is NULL or memory runs out. */
char *name_to_utf8(const char *raw);

/* Length of the longest prefix of the NUL-terminated `s` that is valid UTF-8
 * as name_to_utf8 judges it (RFC 3629): strlen(s) when all of it is. */
size_t name_utf8_valid_len(const char *s);

/* Returns a malloc'd copy of `raw` safe to write to a terminal: well-formed,
 * printable UTF-8 is kept; a backslash becomes "\\"; every other byte is
 * written as "\xNN" (two lower-case hex digits): invalid UTF-8, C0 controls
 * (0x01-0x1f, so ESC can never reach the terminal), DEL, the C1 controls
 * U+0080-U+009F (each of their two bytes), and the invisible layout
 * controls U+200B-U+200F, U+2028-U+202E, U+2060-U+2069 and U+FEFF (so a
 * name cannot reorder, hide or break the text around it). The result is
 * reversible and pure printable text. Returns NULL if `raw` is NULL or
 * memory runs out. */
char *name_for_terminal(const char *raw);

/* Terminal columns taken by `s`, a string from name_for_terminal: one per
 * code point, except 0 for common combining marks and 2 for East Asian wide
 * and emoji ranges (an approximation of wcwidth() that needs no locale).
 * Invalid bytes, if any, count one column each. NULL counts 0. */
size_t name_display_width(const char *s);

/* Returns a malloc'd copy of `s` (a string from name_for_terminal) that takes
 * at most `max_cols` columns: `s` itself if it fits, else its longest prefix
 * that fits in max_cols - 3 columns followed by "..." (for max_cols < 3,
 * a prefix of at most max_cols columns, no ellipsis). Code points and the
 * escapes "\\" and "\xNN" are never split. NULL if `s` is NULL or on ENOMEM. */
char *name_fit_width(const char *s, size_t max_cols);

/* Returns a malloc'd copy of `s` (a string from name_for_terminal) that takes
 * at most `max_cols` columns: `s` itself if it fits, else its start and its
 * end around "..." (the start getting the extra column), so that names that
 * differ only at their end stay apart. For max_cols < 5, name_fit_width.
 * Code points and escapes are never split. NULL if `s` is NULL or on
 * ENOMEM. */
char *name_fit_middle(const char *s, size_t max_cols);

#endif /* ETLTRACE_NAMES_H */
