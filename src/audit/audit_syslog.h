/* The audit log's copy to syslog (kept apart: <syslog.h> claims the LOG_*
 * names src/core/log.h uses). */
#ifndef MG_AUDIT_SYSLOG_H
#define MG_AUDIT_SYSLOG_H
#include <stddef.h>

/* openlog("mlgate-audit", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV). */
void audit_syslog_open(void);
/* One record (len bytes, no newline) at LOG_NOTICE. */
void audit_syslog_line(const char *line, size_t len);

#endif
