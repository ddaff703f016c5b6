// SPDX-License-Identifier: MIT
/* http.c - the metrics endpoint, see http.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "output/http.h"
#include "util/diag.h"
#include "util/netaddr.h"

/* How long an idle connection may stay, how many at once, and how often
 * the loop lets the server expire connections without traffic. */
#define IDLE_SECONDS 10
#define MAX_CONNECTIONS 64
#define TICK_NS 100000000ull

struct http_server {
	struct MHD_Daemon *d;
	struct loop *loop;
	int epfd, timer, sock;
	char where[96]; /* "ADDR port PORT", for messages */
	http_page_fn fn;
	void *ctx;
};

/* A listening socket on host:port, non-blocking. */
static int listen_on(const char *host, unsigned int port, int *fd)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char service[8];
	int one = 1, err = 0;

	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host, service, &hints, &ai) || !ai)
		return -EINVAL;
	*fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		err = -errno;
	else if (setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		 bind(*fd, ai->ai_addr, ai->ai_addrlen) || listen(*fd, 64))
		err = -errno;
	freeaddrinfo(ai);
	if (err && *fd >= 0)
		close(*fd);
	return err;
}

/* Whether the request says a body follows its headers. */
static bool has_body(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (cl && strcmp(cl, "0")) ||
	       MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/* A GET or HEAD with no body is answered at the second call, once the
 * request is complete, so the connection can be kept alive. Anything else
 * is answered on the first (headers only): its body is never read, and
 * libmicrohttpd closes the connection after the answer rather than spend
 * the loop's time on an upload. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct http_server *h = cls;
	const char *type = "text/plain; charset=utf-8";
	struct MHD_Response *r;
	char *body = NULL;
	size_t len = 0;
	enum MHD_Result ret;
	int status;

	(void)version;
	(void)upload;
	if (!*con_cls && !has_body(c) && (!strcmp(method, "GET") || !strcmp(method, "HEAD"))) {
		*con_cls = h;
		return MHD_YES;
	}
	if (*upload_size)
		return MHD_NO; /* a body it did not announce: drop the connection */
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else {
		status = h->fn(h->ctx, url, &body, &len, &type);
		if (status < 0) {
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			body = NULL;
		}
	}
	if (!body) {
		const char *msg = status == MHD_HTTP_NOT_FOUND ? "not found: try /metrics or /report\n"
			: status == MHD_HTTP_METHOD_NOT_ALLOWED ? "only GET and HEAD\n" : "error\n";

		type = "text/plain; charset=utf-8";
		body = strdup(msg);
		len = body ? strlen(body) : 0;
	}
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ret = MHD_queue_response(c, (unsigned int)status, r);
	MHD_destroy_response(r);
	return ret;
}

static int on_ready(void *ctx, uint32_t events)
{
	struct http_server *h = ctx;

	(void)events;
	MHD_run(h->d);
	return 0;
}

/* libmicrohttpd's own messages only at -v: connection errors are the
 * clients' business. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
}

int http_listen(const char *spec, struct http_server **out)
{
	struct http_server *h;
	char host[64];
	unsigned int port;
	int err;

	if (netaddr_parse(spec, host, sizeof(host), &port)) {
		diag("invalid --metrics address '%s': give " NETADDR_FORMS, spec);
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	*h = (struct http_server){ .epfd = -1, .timer = -1, .sock = -1 };
	snprintf(h->where, sizeof(h->where), "%s port %u", host, port);
	err = listen_on(host, port, &h->sock);
	if (err) {
		diag("cannot serve metrics on %s: %s%s", h->where, strerror(-err),
		     err == -EADDRINUSE ? " (another program listens there: choose another port)" :
		     err == -EADDRNOTAVAIL ? " (not an address of this machine)" :
		     err == -EACCES ? " (ports below 1024 need CAP_NET_BIND_SERVICE)" : "");
		free(h);
		return err;
	}
	*out = h;
	return 0;
}

int http_serve(struct http_server *h, http_page_fn fn, void *ctx, struct loop *loop)
{
	const union MHD_DaemonInfo *info;
	int err;

	h->fn = fn;
	h->ctx = ctx;
	h->d = MHD_start_daemon(MHD_USE_EPOLL | (strchr(h->where, ':') ? MHD_USE_IPv6 : 0), 0,
				NULL, NULL, answer, h, MHD_OPTION_LISTEN_SOCKET, h->sock,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_SECONDS,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (!h->d) {
		diag("cannot serve metrics on %s: the HTTP server did not start", h->where);
		return -EIO;
	}
	h->sock = -1; /* the daemon's now: it closes it */
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	err = info ? 0 : -EIO;
	if (!err) {
		err = loop_add_fd(loop, info->epoll_fd, EPOLLIN, on_ready, h);
		if (!err) {
			h->loop = loop;
			h->epfd = info->epoll_fd;
		}
	}
	if (!err) {
		h->timer = loop_add_timer(loop, 0, TICK_NS, on_ready, h);
		err = h->timer < 0 ? h->timer : 0;
	}
	if (err)
		diag("cannot serve metrics on %s: the HTTP server did not start", h->where);
	return err;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	if (h->epfd >= 0)
		loop_del_fd(h->loop, h->epfd);
	if (h->timer >= 0)
		loop_del_timer(h->loop, h->timer);
	if (h->d)
		MHD_stop_daemon(h->d); /* closes the listening socket too */
	if (h->sock >= 0)
		close(h->sock);
	free(h);
}
