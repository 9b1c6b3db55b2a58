/* GET /-/health: the gateway answers for itself and probes MLflow's /health
 * on a fresh connection (so a broken pool cannot hide an outage). */
#ifndef MG_HEALTH_H
#define MG_HEALTH_H
#include "http/conn.h"

void health_probe(struct conn *c);

#endif
