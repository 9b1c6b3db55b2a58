/* Audit records copied to syslog (facility authpriv, tag mlgate-audit). */
#include "audit/audit_syslog.h"
#include <syslog.h>

void audit_syslog_open(void)
{
	openlog("mlgate-audit", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

void audit_syslog_line(const char *line, size_t len)
{
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "%.*s", (int)len, line);
}
