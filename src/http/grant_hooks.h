/* Grant upkeep after MLflow answered a create, rename or delete (as MLflow's
 * auth app does after its requests, mlflow-api.md §2.7): the creator of an
 * experiment or registered model gets MANAGE on it; a renamed model's grants
 * move to the new name; a deleted model's grants go. The answer is held
 * until the store is updated, so a client that creates and then uses a
 * resource is never refused in between. */
#ifndef MG_GRANT_HOOKS_H
#define MG_GRANT_HOOKS_H
#include <stdbool.h>

struct conn;
struct mlflow_route;

bool grant_hooks_wanted(const struct mlflow_route *r);
/* The capture callback: updates the store (thread pool), then sends the
 * captured answer. */
void grant_hooks_after(struct conn *c);

#endif
