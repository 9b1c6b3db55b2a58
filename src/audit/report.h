/* `mlgate report`'s aggregation: what a person reviewing an MLflow
 * gateway's access logs wants to see, computed in one streaming pass in
 * bounded memory -- failed authentication by address and by user (the seed's
 * grep | awk | sort | uniq -c, ranked), failures over time, likely credential
 * stuffing (one address failing as many user names) and sharing (one user
 * from many addresses), top routes, the status mix, latency percentiles per
 * route family, upstream errors. Every table has a fixed capacity; keys past
 * it are counted under "(other)" and the report says so, so totals stay
 * exact and memory stays constant whatever the log size. Latency is kept in
 * 1 ms buckets up to 10 s (exact percentiles there), coarser beyond. */
#ifndef MG_REPORT_H
#define MG_REPORT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "audit/log_line.h"

struct report_opts {
	int64_t since, until;		/* Unix seconds; records outside are left out */
	int top;			/* rows per ranked table */
	int stuffing_users;		/* distinct user names failing from one address to flag */
	int sharing_addrs;		/* distinct addresses of one user to flag */
};

struct report;

struct report *report_new(const struct report_opts *o);
void report_free(struct report *r);
/* Counts one parsed record (left out when outside since/until). */
void report_add(struct report *r, const struct log_rec *rec);
/* Counts a line that no supported format reads. */
void report_skip(struct report *r);
/* Adds everything counted in from into into (threads count apart). */
void report_merge(struct report *into, const struct report *from);
/* Outputs. tty: sparklines for the time series. */
void report_text(const struct report *r, FILE *out, bool tty);
/* 0, or -EIO when out could not be written. */
int report_json(const struct report *r, FILE *out);
int report_html(const struct report *r, FILE *out);

#endif
