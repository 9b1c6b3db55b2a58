/* Reference counting for serving snapshots. */
#include "http/runtime.h"
#include "core/mem.h"
#include "tls/tls_filter.h"
#include <stdlib.h>

struct runtime *runtime_new(struct config *cfg, struct htpasswd *users)
{
	struct runtime *rt = mem_calloc(1, sizeof *rt);
	atomic_init(&rt->refs, 1);
	rt->cfg = cfg;
	rt->users = users;
	rt->limits.max_head = (size_t)cfg->max_header_size;
	rt->limits.max_target = (size_t)cfg->max_target_size;
	return rt;
}

struct runtime *runtime_ref(struct runtime *rt)
{
	atomic_fetch_add(&rt->refs, 1);
	return rt;
}

void runtime_unref(struct runtime *rt)
{
	if (rt == NULL || atomic_fetch_sub(&rt->refs, 1) != 1)
		return;
	for (size_t i = 0; i < CONFIG_MAX_LISTEN; i++)
		tls_server_free(rt->tls[i]);
	htpasswd_free(rt->users);
	config_free(rt->cfg);
	free(rt);
}
