/* Chunked transfer-coding decoder. A state machine over single bytes for the
 * framing and spans for the data, so a body of any size passes through in
 * constant memory and no framing byte is ever interpreted two ways. */
#include "http/h1_chunked.h"
#include <stdbool.h>

enum {
	ST_SIZE = 0,	/* reading hex digits */
	ST_EXT,		/* after ';' (or BWS) until CR */
	ST_SIZE_LF,	/* CR seen, need LF */
	ST_DATA,
	ST_DATA_CR,
	ST_DATA_LF,
	ST_TRAILER,	/* at the start of a trailer line or the final CRLF */
	ST_TRAILER_LINE,
	ST_TRAILER_LF,
	ST_FINAL_LF,
	ST_DONE,
	ST_BWS,		/* whitespace after the size, before ';' */
};

void h1_chunked_init(struct h1_chunked *c)
{
	c->state = ST_SIZE;
	c->remaining = 0;
	c->line_len = 0;
	c->trailer_len = 0;
	c->digits = 0;
}

static int hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

#define CFAIL(m) do { *err = (m); *consumed = i; return H1C_ERROR; } while (0)

int h1_chunked_decode(struct h1_chunked *c, const char *in, size_t len, size_t *consumed,
		      const char **data, size_t *data_len, const char **err)
{
	size_t i = 0;
	*err = NULL;
	while (i < len) {
		unsigned char ch = (unsigned char)in[i];
		switch (c->state) {
		case ST_SIZE: {
			int h = hexval(ch);
			if (h >= 0) {
				if (c->digits >= 15)
					CFAIL("chunk size overflow");
				c->remaining = c->remaining * 16 + (uint64_t)h;
				c->digits++;
			} else if (c->digits == 0) {
				CFAIL("invalid chunk size");
			} else if (ch == ';') {
				c->state = ST_EXT;
			} else if (ch == ' ' || ch == '\t') {
				c->state = ST_BWS;
			} else if (ch == '\r') {
				c->state = ST_SIZE_LF;
			} else {
				CFAIL("invalid chunk size");
			}
			break;
		}
		case ST_BWS:
			if (ch == ';')
				c->state = ST_EXT;
			else if (ch != ' ' && ch != '\t')
				CFAIL("invalid character after chunk size");
			break;
		case ST_EXT:
			if (ch == '\r')
				c->state = ST_SIZE_LF;
			else if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				CFAIL("control character in chunk extension");
			break;
		case ST_SIZE_LF:
			if (ch != '\n')
				CFAIL("bare CR in chunk size line");
			c->line_len = 0;
			c->digits = 0;
			c->state = c->remaining ? ST_DATA : ST_TRAILER;
			i++;
			continue;
		case ST_DATA: {
			size_t avail = len - i;
			size_t take = avail < c->remaining ? avail : (size_t)c->remaining;
			*data = in + i;
			*data_len = take;
			c->remaining -= take;
			i += take;
			if (c->remaining == 0)
				c->state = ST_DATA_CR;
			*consumed = i;
			return H1C_DATA;
		}
		case ST_DATA_CR:
			if (ch != '\r')
				CFAIL("chunk data not followed by CRLF");
			c->state = ST_DATA_LF;
			break;
		case ST_DATA_LF:
			if (ch != '\n')
				CFAIL("chunk data not followed by CRLF");
			c->state = ST_SIZE;
			c->remaining = 0;
			c->line_len = 0;
			i++;
			continue;
		case ST_TRAILER:
			if (ch == '\r') {
				c->state = ST_FINAL_LF;
			} else if (ch == '\n' || ch == ' ' || ch == '\t' || ch == ':') {
				CFAIL("malformed trailer section");
			} else {
				c->state = ST_TRAILER_LINE;
			}
			break;
		case ST_TRAILER_LINE:
			if (ch == '\r')
				c->state = ST_TRAILER_LF;
			else if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				CFAIL("control character in trailer field");
			break;
		case ST_TRAILER_LF:
			if (ch != '\n')
				CFAIL("bare CR in trailer section");
			c->state = ST_TRAILER;
			c->line_len = 0;
			break;
		case ST_FINAL_LF:
			if (ch != '\n')
				CFAIL("bare CR after last chunk");
			c->state = ST_DONE;
			*consumed = i + 1;
			return H1C_DONE;
		case ST_DONE:
			*consumed = i;
			return H1C_DONE;
		}
		/* Framing bytes (never data) are bounded per line and per trailer section. */
		if (c->state == ST_TRAILER || c->state == ST_TRAILER_LINE ||
		    c->state == ST_TRAILER_LF || c->state == ST_FINAL_LF) {
			if (++c->trailer_len > H1_CHUNK_MAX_TRAILERS)
				CFAIL("trailer section too large");
		} else if (++c->line_len > H1_CHUNK_MAX_LINE) {
			CFAIL("chunk size line too long");
		}
		i++;
	}
	*consumed = i;
	if (c->state == ST_DONE)
		return H1C_DONE;
	return H1C_NEED_MORE;
}
