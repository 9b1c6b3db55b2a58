/* Searches answered with only what a non-admin caller may READ, refilled to
 * the requested page size with page tokens that stay consistent. */
#ifndef MG_SEARCH_FILTER_H
#define MG_SEARCH_FILTER_H
#include <stdbool.h>

struct conn;
struct mlflow_route;

/* experiments/search, registered-models/search, model-versions/search,
 * logged-models/search. */
bool search_filter_wanted(const struct mlflow_route *r);
/* Answers the search itself (the request is not proxied as it came). */
void search_filter_start(struct conn *c);

#endif
