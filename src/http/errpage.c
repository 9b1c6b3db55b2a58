/* Responses of the gateway's own: MLflow's error JSON for API callers
 * ({"error_code", "message"}), a short HTML page for browsers. Messages never
 * carry internal addresses; the request id ties them to the error log. */
#include "http/conn.h"
#include "core/log.h"
#include "core/mem.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *errpage_reason(int status);

const char *errpage_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

static void html_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': buf_appends(b, "&lt;"); break;
		case '>': buf_appends(b, "&gt;"); break;
		case '&': buf_appends(b, "&amp;"); break;
		case '"': buf_appends(b, "&quot;"); break;
		default: buf_append(b, s, 1);
		}
	}
}

void local_response(struct conn *c, int status, const char *ctype, const char *extra_headers, const char *body,
		    size_t len)
{
	if (c->state == CS_CLOSING)
		return;
	if (c->up) {
		upstream_close(c->up);
		c->up = NULL;
	}
	if (!c->req_body_done)
		c->keep_alive = false;	/* unread body bytes must not be parsed as a request */
	c->state = CS_LOCAL;
	c->ri.status = status;
	/* a complete request's connection keeps reading: pipelined bytes wait in
	 * c->in (reads pause at a head's worth), and the loop does not toggle
	 * the socket's epoll registration twice per answer */
	if (!c->req_body_done)
		conn_read_stop(c);
	conn_set_timer(c, c->rt->cfg->send_timeout);
	struct buf head;
	buf_init(&head, 32768 + (c->ri.head ? 0 : len));
	/* appended piece by piece: a printf here cost more than the rest of a search answer */
	buf_appends(&head, "HTTP/1.1 ");
	buf_u64(&head, (unsigned long long)status);
	buf_appends(&head, " ");
	buf_appends(&head, errpage_reason(status));
	buf_appends(&head, "\r\nContent-Type: ");
	buf_appends(&head, ctype);
	buf_appends(&head, "\r\nContent-Length: ");
	buf_u64(&head, (unsigned long long)len);
	buf_appends(&head, "\r\nCache-Control: no-store\r\nX-Request-Id: ");
	buf_appends(&head, c->ri.request_id);
	buf_appends(&head, "\r\n");
	if (status == 502 || status == 503 || status == 504)
		buf_appends(&head, "Retry-After: 5\r\n");
	if (c->tls_listener && c->rt->cfg->hsts_max_age > 0)
		buf_printf(&head, "Strict-Transport-Security: max-age=%lld\r\n", (long long)c->rt->cfg->hsts_max_age);
	if (extra_headers)
		buf_appends(&head, extra_headers);
	if (!c->keep_alive || c->w->draining)
		buf_appends(&head, "Connection: close\r\n");
	else if (c->ri.minor_version == 0)
		buf_appends(&head, "Connection: keep-alive\r\n");
	buf_appends(&head, "\r\n");
	if (!c->ri.head && buf_append(&head, body, len) == 0)
		c->ri.body_bytes_sent = len;
	conn_write_str(c, head.data, head.len);
	buf_free(&head);
}

void errpage_send(struct conn *c, int status, const char *error_code, const char *message,
		  const char *extra_headers)
{
	if (c->state == CS_CLOSING)
		return;
	struct buf body;
	buf_init(&body, 16384);
	const char *ctype;
	if (status < 300 || status >= 400 ? c->ri.wants_json : false) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "error_code", error_code, "message", message,
				      "request_id", c->ri.request_id);
		char *s = json_dumps(o, JSON_COMPACT);
		buf_appends(&body, s);
		free(s);
		json_decref(o);
		ctype = "application/json";
	} else {
		buf_printf(&body, "<!doctype html><html><head><meta charset=\"utf-8\"><title>%d %s</title></head>"
			   "<body><h1>%d %s</h1><p>", status, errpage_reason(status), status, errpage_reason(status));
		html_escape(&body, message);
		buf_appends(&body, "</p><p>Request id: ");
		html_escape(&body, c->ri.request_id);
		buf_appends(&body, "</p><hr><p>mlgate</p></body></html>\n");
		ctype = "text/html; charset=utf-8";
	}
	local_response(c, status, ctype, extra_headers, body.data ? body.data : "", body.len);
	buf_free(&body);
}
