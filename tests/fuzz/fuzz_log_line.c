/* libFuzzer target: access-log lines as `mlgate report` reads them (text
 * formats and JSON lines). Every span handed out lies inside the line; the
 * status is a real three-digit one; a record is counted by the report
 * without trouble; the time cache (kept across inputs, as a reader keeps
 * it across lines) never changes a result; a text line's method and path
 * are what "METHOD TARGET PROTOCOL" says (the method is the quoted field's
 * first word, the path runs from after it to the first '?' or space). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "audit/log_line.h"
#include "audit/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct log_str s, const char *p, size_t n)
{
	if (s.n && (s.p < p || s.p + s.n > p + n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct report *r;
	if (r == NULL) {
		struct report_opts o = { .since = INT64_MIN, .until = INT64_MAX };
		r = report_new(&o);
	}
	char *line = malloc(size ? size : 1);	/* exact size: reads past it are caught */
	memcpy(line, data, size);
	struct log_rec rec, cached;
	static struct log_time_cache tc;
	int rc = log_line_parse(line, size, &rec, NULL);
	if (log_line_parse(line, size, &cached, &tc) != rc || (rc == 0 && cached.time != rec.time))
		abort();
	if (rc == 0) {
		inside(rec.addr, line, size);
		inside(rec.user, line, size);
		inside(rec.method, line, size);
		inside(rec.path, line, size);
		if (rec.format != LOG_FMT_JSON && rec.method.n) {
			const char *m = rec.method.p, *pe = rec.path.p + rec.path.n;
			if (m == line || m[-1] != '"' || rec.path.p != m + rec.method.n + 1 || m[rec.method.n] != ' ' ||
			    memchr(m, ' ', rec.method.n) || memchr(rec.path.p, ' ', rec.path.n) ||
			    memchr(rec.path.p, '?', rec.path.n) || pe >= line + size ||
			    (*pe != '?' && *pe != ' ' && *pe != '"'))
				abort();
		}
		if (rec.status < 100 || rec.status > 999 || rec.format >= LOG_FMT_COUNT)
			abort();
		report_add(r, &rec);
	}
	int64_t t;
	(void)log_line_time(line, size, &t);
	free(line);
	return 0;
}
