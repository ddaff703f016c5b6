/* SPDX-License-Identifier: MIT */
/*
 * jsonkeys.h - the object keys of a JSON text, checked where json-c cannot:
 * it keeps a key as a C string, so "load\u0000x" becomes "load", and it
 * keeps only the last of two equal keys in one object. Either can make a
 * saved report say something its text does not (an operation replaced by
 * another's numbers), so such keys are refused, not guessed at. etltrace
 * never writes them: operation names hold no NUL, and report keys are
 * made unique (report/json.c).
 */
#ifndef ETLTRACE_JSONKEYS_H
#define ETLTRACE_JSONKEYS_H

#include <stddef.h>

/* Scans text[0..len), which must be one valid JSON document (json-c parsed
 * it), for an object key holding a NUL character (written \u0000) or a key
 * given twice in the same object (compared after unescaping, so "a" and
 * "\u0061" are the same key). Returns 0 if there is none. Otherwise returns
 * -1 and writes into err the key's path and the problem, e.g.
 *   operations."load\u0000x": a key may not hold a NUL character (\u0000)
 *   operations."load": the key is given twice in one object
 * (keys that are not identifiers quoted, NULs shown as \u0000, everything
 * else escaped for the terminal and cut to 64 columns); -ENOMEM is "out of
 * memory". */
int json_keys_check(const char *text, size_t len, char *err, size_t errlen);

#endif /* ETLTRACE_JSONKEYS_H */
