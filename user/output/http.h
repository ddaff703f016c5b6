/* SPDX-License-Identifier: MIT */
/*
 * http.h - the metrics endpoint (--metrics): an HTTP server (libmicrohttpd)
 * run by the trace's loop, with no thread of its own, so pages are made
 * from the statistics as they are, with no lock, and a slow or hung client
 * never holds the loop (sockets are non-blocking; idle connections time
 * out). Only GET and HEAD of the paths the page function knows are served.
 */
#ifndef ETLTRACE_HTTP_H
#define ETLTRACE_HTTP_H

#include <stddef.h>

#include "run/loop.h"

/* Makes the page at path: a malloc'd body, its length and content type.
 * Returns 200, or 404 (then nothing is allocated), or -ENOMEM. */
typedef int (*http_page_fn)(void *ctx, const char *path, char **body, size_t *len,
			    const char **content_type);

struct http_server;

/* Listens on spec (netaddr.h), before anything is traced, so that a port
 * in use ends the run before it starts. Returns 0, or a negative errno
 * after printing one line (-EINVAL: bad spec, -EADDRNOTAVAIL: not an
 * address of this machine, -EADDRINUSE: the port is taken, -EACCES: a
 * privileged port). */
int http_listen(const char *spec, struct http_server **out);

/* Serves pages from fn through loop on h's socket. Returns 0, or a
 * negative errno after printing one line. */
int http_serve(struct http_server *h, http_page_fn fn, void *ctx, struct loop *loop);

/* Stops listening and serving, and frees h (NULL is allowed). */
void http_stop(struct http_server *h);

#endif /* ETLTRACE_HTTP_H */
