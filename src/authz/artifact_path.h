/* Artifact paths as MLflow's validate_path_is_safe sees them: decoded until
 * stable, "file:" stripped, and refused when they hold '#', '..' segments,
 * backslashes, control characters or are absolute; then the experiment they
 * belong to (their first segment, or the one after workspaces/<ws>/). Pure. */
#ifndef MG_ARTIFACT_PATH_H
#define MG_ARTIFACT_PATH_H
#include <stddef.h>

#define ARTIFACT_PATH_MAX 4096

/* Canonicalises raw[0..len) into out (NUL-terminated). Returns 0, or -EINVAL
 * with *why for a path MLflow would refuse or that could mean two things. */
int artifact_path_canonical(const char *raw, size_t len, char out[ARTIFACT_PATH_MAX], const char **why);
/* The experiment id a canonical path belongs to: 0 and id (digits) in
 * out[32], or -ENOENT when the path does not start with one. */
int artifact_path_experiment(const char *canonical, char out[32]);

#endif
